/**
 * Clock quality on every record: is the system clock synchronised, by how much is it off, and
 * from which source, so a record collected offline and pushed hours later says whether its
 * `started_at` holds. Parsers are pure (text in, fields out); gatherClock runs the tools.
 *
 * - Linux: `chronyc tracking` (chrony), else `timedatectl timesync-status` (systemd-timesyncd)
 *   for the offset and server, and `timedatectl show` (`NTPSynchronized=yes`) for the verdict;
 * - macOS: `sntp SERVER` (the server of /etc/ntp.conf): one NTP query, the offset;
 * - Windows: `w32tm /query /status /verbose`.
 * `clock_offset_ms` is positive when the local clock is ahead of the reference (chrony's "fast").
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Metrics } from '../core/schema.js';

export type ClockInfo = Required<Pick<Metrics, 'clock_synced' | 'clock_offset_ms' | 'clock_source'>>;

const NONE: ClockInfo = { clock_synced: null, clock_offset_ms: null, clock_source: null };

/** `chronyc tracking`. "Leap status : Not synchronised" (or reference 0.0.0.0 / 7F7F0101 local) is unsynchronised. */
export function parseChronyTracking(text: string): ClockInfo | null {
  const kv = colonPairs(text);
  const leap = kv.get('leap status');
  const ref = kv.get('reference id');
  if (leap === undefined && ref === undefined) return null;
  const sys = /^([\d.]+) seconds (fast|slow) of NTP time$/.exec(kv.get('system time') ?? '');
  const offset = sys ? Number(sys[1]) * 1000 * (sys[2] === 'fast' ? 1 : -1) : null;
  const refName = /\(([^)]+)\)/.exec(ref ?? '')?.[1] ?? null;
  const unsynced = leap === undefined ? null : /not synchron/i.test(leap);
  // Reference 7F7F0101 is chrony's own local clock (`local` directive): not a synchronisation.
  const local = /^7F7F0101\b/i.test(ref ?? '') || refName === '' || refName === '0.0.0.0';
  return {
    clock_synced: unsynced === null ? null : unsynced || local ? 'no' : 'yes',
    clock_offset_ms: offset !== null && Number.isFinite(offset) ? offset : null,
    clock_source: `chrony${refName && !local ? ` ${refName}` : ''}`,
  };
}

/**
 * `timedatectl timesync-status` (systemd-timesyncd): "Offset: -1.129ms", "Server: 10.77.0.1 (ntp.lab)".
 * Its offset is NTP's θ (server − local), so the local clock is ahead by −θ.
 */
export function parseTimesyncStatus(text: string): Pick<ClockInfo, 'clock_offset_ms' | 'clock_source'> | null {
  const kv = colonPairs(text);
  const server = kv.get('server');
  const off = kv.get('offset');
  if (server === undefined && off === undefined) return null;
  const theta = off !== undefined ? duration(off) : null;
  return { clock_offset_ms: theta === null ? null : noNegZero(-theta), clock_source: `timesyncd${server ? ` ${server.split(/\s+/)[0]}` : ''}` };
}

/** `timedatectl show`: `NTPSynchronized=yes|no`. */
export function parseTimedatectlShow(text: string): Pick<ClockInfo, 'clock_synced'> | null {
  const m = /^NTPSynchronized=(yes|no)\s*$/m.exec(text);
  return m ? { clock_synced: m[1] as 'yes' | 'no' } : null;
}

/** macOS `sntp`: `+0.012345 +/- 0.023456 time.example.net 10.77.0.123` (seconds; positive: the server is ahead). */
export function parseSntp(text: string): ClockInfo | null {
  const m = /^\s*([+-]?\d+(?:\.\d+)?) \+\/- (\d+(?:\.\d+)?) (\S+)(?: (\S+))?\s*$/m.exec(text);
  if (!m) return null;
  // sntp prints the correction to apply (server − local): the local clock is ahead by −that.
  const offsetMs = -Number(m[1]) * 1000;
  return { clock_synced: null, clock_offset_ms: noNegZero(offsetMs), clock_source: `sntp ${m[3]}` };
}

/**
 * `w32tm /query /status /verbose` (English). Leap indicator 3, or a source that is the local
 * clock, is unsynchronised; "Phase Offset: 0.0001234s" (verbose) is the offset, with w32tm's sign
 * (the phase error it is correcting; not checked against a Windows machine).
 */
export function parseW32tm(text: string): ClockInfo | null {
  const kv = colonPairs(text);
  const leap = kv.get('leap indicator');
  const source = kv.get('source');
  if (leap === undefined && source === undefined) return null;
  const localClock = source !== undefined && /local cmos clock|free-running system clock/i.test(source);
  const leap3 = leap !== undefined && /^3\b/.test(leap);
  const phase = kv.get('phase offset');
  const offset = phase !== undefined ? duration(phase) : null;
  return {
    clock_synced: leap === undefined && source === undefined ? null : leap3 || localClock ? 'no' : 'yes',
    clock_offset_ms: offset,
    clock_source: `w32tm${source && !localClock ? ` ${source.split(',')[0]!.trim()}` : ''}`,
  };
}

function noNegZero(n: number): number {
  return n === 0 ? 0 : n;
}

/** Lines `Key : value` / `Key: value` → lower-case key → value (first colon only: values hold times). */
function colonPairs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    if (!/^[a-z][a-z ()/-]*$/.test(key) || out.has(key)) continue;
    out.set(key, line.slice(i + 1).trim());
  }
  return out;
}

/** `-1.129ms`, `+250us`, `0.0001234s`, `2.5s`, `1min 3s` is not an offset → ms, or null. */
function duration(s: string): number | null {
  const m = /^([+-]?\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)$/.exec(s.trim());
  if (!m) return null;
  const scale = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000 }[m[2] as 'ns' | 'us' | 'µs' | 'ms' | 's'];
  const v = Number(m[1]) * scale;
  return Number.isFinite(v) ? v : null;
}

export interface ClockGatherOptions {
  platform?: NodeJS.Platform;
  timeoutMs?: number;
  /** Runs a tool, resolves its stdout, rejects when it cannot run (injectable for tests). */
  exec?(file: string, args: string[], timeoutMs: number): Promise<string>;
  readFile?(path: string): Promise<string>;
}

/** Never throws; nulls where the platform's tools are missing or say nothing usable. */
export async function gatherClock(opts: ClockGatherOptions = {}): Promise<ClockInfo> {
  const platform = opts.platform ?? process.platform;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const run = (file: string, args: string[]) => (opts.exec ?? execTool)(file, args, timeoutMs).catch(() => '');
  try {
    if (platform === 'linux') {
      const [chrony, show, timesync] = await Promise.all([run('chronyc', ['tracking']), run('timedatectl', ['show']), run('timedatectl', ['timesync-status'])]);
      const c = parseChronyTracking(chrony);
      if (c) return c;
      const s = parseTimedatectlShow(show);
      const t = parseTimesyncStatus(timesync);
      if (!s && !t) return NONE;
      return { clock_synced: s?.clock_synced ?? null, clock_offset_ms: t?.clock_offset_ms ?? null, clock_source: t?.clock_source ?? 'timedatectl' };
    }
    if (platform === 'darwin') {
      const conf = await (opts.readFile ?? ((p: string) => readFile(p, 'utf8')))('/etc/ntp.conf').catch(() => '');
      const server = /^\s*server\s+(\S+)/m.exec(conf)?.[1];
      if (!server || !/^[A-Za-z0-9.:-]+$/.test(server)) return NONE;
      return parseSntp(await run('sntp', ['-t', '1', server])) ?? NONE;
    }
    if (platform === 'win32') return parseW32tm(await run('w32tm', ['/query', '/status', '/verbose'])) ?? NONE;
  } catch {
    // fall through: unknown
  }
  return NONE;
}

function execTool(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}
