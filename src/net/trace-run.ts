/**
 * Running the system's path-tracing tool: `mtr --raw` where installed (Linux: Debian's mtr-tiny;
 * macOS with Homebrew), else `traceroute`; Windows `tracert`, run again until every hop had
 * `count` probes (it sends three per hop and run). Reading the output is trace-parse.ts's job.
 *
 * No raw sockets of our own: mtr's helper (mtr-packet) has CAP_NET_RAW, so it traces without
 * root, except that a non-root user may not ask for rounds less than a second apart: the
 * interval is then raised to 1 s and the run says so (`intervalMs`).
 */
import { platform as osPlatform, userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { LinkBind } from '../core/samples.js';
import { assertBindable } from './bind.js';
import { spawnTool } from './spawn-tool.js';
import { QosError } from '../core/errors.js';
import type { TraceTool } from './trace-parse.js';

export type TraceProtocol = 'icmp' | 'udp' | 'tcp';

export interface TraceOptions {
  /** An IP address (names are resolved before, once). */
  address: string;
  family: 4 | 6;
  protocol: TraceProtocol;
  /** Destination port for udp/tcp probes; the tool's default when undefined. */
  port?: number;
  /** Probes per hop (rounds). */
  count: number;
  /** Time between rounds, ms. */
  intervalMs: number;
  /** How long to wait for an answer, ms (mtr -G, traceroute -w, tracert -w). */
  timeoutMs: number;
  maxHops: number;
  /** Probe packet size in bytes (mtr -s, traceroute's packetlen); the tool's default when undefined. */
  sizeBytes?: number;
  /** Which tool; auto = mtr, else traceroute (tracert on Windows). */
  tool: TraceTool | 'auto';
  signal?: AbortSignal;
  platform?: NodeJS.Platform;
  /** Non-root (mtr refuses sub-second intervals then); default: this process's uid. */
  root?: boolean;
  /** Leave through this link (issue 22): `traceroute -i` (mtr's -I does not bind its probes), checked first (net/bind.ts); tracert cannot. */
  bind?: LinkBind;
}

export interface TraceRun {
  tool: TraceTool;
  /** One output per run of the tool (tracert runs several times; the others once). */
  outputs: string[];
  stderr: string;
  /** We stopped the tool (abort signal or our deadline); what it printed is still here. */
  stoppedBy: 'abort' | 'deadline' | null;
  /** The interval between rounds the tool really used, ms. */
  intervalMs: number;
  durationMs: number;
  command: readonly string[];
}

/** The tool's program and arguments for one run. Pure. */
export function traceCommand(o: TraceOptions, tool: TraceTool, platform: NodeJS.Platform, intervalMs: number): { file: string; args: string[] } {
  const sec = (ms: number) => String(Math.round(ms) / 1000);
  const fam = o.family === 6 ? ['-6'] : ['-4'];
  switch (tool) {
    case 'mtr': {
      const proto = o.protocol === 'udp' ? ['-u'] : o.protocol === 'tcp' ? ['-T'] : [];
      const port = o.port !== undefined && o.protocol !== 'icmp' ? ['-P', String(o.port)] : [];
      const size = o.sizeBytes !== undefined ? ['-s', String(o.sizeBytes)] : [];
      // -G: how long to wait for the last round's answers (whole seconds are what it was made for).
      const grace = Math.max(1, Math.ceil(o.timeoutMs / 1000));
      return {
        file: 'mtr',
        args: ['--raw', '-n', ...fam, ...proto, ...port, ...size, '-c', String(o.count), '-i', sec(intervalMs), '-G', String(grace), '-m', String(o.maxHops), o.address],
      };
    }
    case 'traceroute': {
      const darwin = platform === 'darwin';
      const proto = o.protocol === 'icmp' ? ['-I'] : o.protocol === 'tcp' ? (darwin ? ['-P', 'tcp'] : ['-T']) : [];
      const port = o.port !== undefined && o.protocol !== 'icmp' ? ['-p', String(o.port)] : [];
      // Linux: one probe at a time, `interval` apart (-N 1 -z s); BSD's -z is in ms and it has no -N.
      const paceMs = Math.min(intervalMs, TRACEROUTE_PACE_MAX_MS);
      const pace = darwin ? ['-z', String(Math.round(paceMs))] : ['-N', '1', '-z', sec(paceMs)];
      const wait = ['-w', String(Math.max(1, Math.ceil(o.timeoutMs / 1000)))];
      const args = ['-n', ...(darwin ? [] : fam), ...proto, ...port, ...pace, ...wait, ...(o.bind ? ['-i', o.bind.device] : []), '-q', String(o.count), '-m', String(o.maxHops), o.address];
      if (o.sizeBytes !== undefined) args.push(String(o.sizeBytes));
      return { file: darwin && o.family === 6 ? 'traceroute6' : 'traceroute', args };
    }
    case 'tracert':
      // tracert has no count, interval or protocol options: ICMP, three probes per hop and run.
      return { file: 'tracert', args: ['-d', ...fam, '-h', String(o.maxHops), '-w', String(Math.max(1, Math.round(o.timeoutMs))), o.address] };
  }
}

/** Tracert probes per hop and run. */
export const TRACERT_PROBES_PER_RUN = 3;

/** traceroute sends one probe at a time (-N 1), this far apart at most, so that a hop's probes do not arrive as one burst. */
export const TRACEROUTE_PACE_MAX_MS = 100;

/**
 * An upper bound of how long a trace takes when nothing goes wrong (the probe's deadline): the
 * longer of mtr's (rounds `interval` apart, at least 1 s for non-root users, then its grace
 * time) and traceroute's (every probe one after another). Hops that never answer make
 * traceroute wait for each probe: such a trace can be cut by this deadline (a partial record).
 */
export function traceDurationMs(o: Pick<TraceOptions, 'count' | 'intervalMs' | 'timeoutMs' | 'maxHops'>, platform: NodeJS.Platform = osPlatform()): number {
  const waitMs = Math.max(1, Math.ceil(o.timeoutMs / 1000)) * 1000;
  if (platform === 'win32') return Math.ceil(o.count / TRACERT_PROBES_PER_RUN) * o.maxHops * TRACERT_PROBES_PER_RUN * (o.timeoutMs + 100) + 2000;
  const mtrMs = (o.count - 1) * Math.max(o.intervalMs, 1000) + waitMs;
  const tracerouteMs = o.count * o.maxHops * Math.min(o.intervalMs, TRACEROUTE_PACE_MAX_MS) + 3 * waitMs;
  return Math.max(mtrMs, tracerouteMs) + 2000;
}

function isRoot(): boolean {
  try {
    return userInfo().uid === 0;
  } catch {
    return false;
  }
}

/**
 * Run a trace. Resolves with what the tool printed, also when stopped early; rejects with
 * TRACE_UNAVAILABLE when no tool is installed, TRACE_FAILED when the tool refused to run.
 */
export async function runTrace(o: TraceOptions): Promise<TraceRun> {
  const platform = o.platform ?? osPlatform();
  if (o.signal?.aborted) throw new QosError('ABORTED', 'aborted before the trace started');
  const root = o.root ?? isRoot();
  // Over a link, traceroute only: mtr's -I (mtr-tiny 0.95) sets the probes' source address but not their device, so
  // they leave by the default route (seen in the two-uplink lab: every probe on link A, the replies on B).
  const candidates: TraceTool[] = o.tool !== 'auto' ? [o.tool] : platform === 'win32' ? ['tracert'] : o.bind ? ['traceroute'] : ['mtr', 'traceroute'];
  if (o.bind) {
    if (platform !== 'linux') throw new QosError('INTERFACE_BIND_UNAVAILABLE', `trace over ${o.bind.device}: binding to an interface is implemented on Linux only (this is ${platform})`);
    if (candidates.includes('mtr')) throw new QosError('INTERFACE_BIND_UNAVAILABLE', `trace over ${o.bind.device}: mtr cannot send its probes through a device (its -I sets only their source address); use tool: traceroute or auto`);
    assertBindable(o.bind);
  }
  const t0 = performance.now();
  let lastMissing: Error | null = null;
  for (const tool of candidates) {
    // mtr refuses sub-second rounds to non-root users; ask it for what it allows.
    const intervalMs = tool === 'mtr' && !root ? Math.max(1000, o.intervalMs) : o.intervalMs;
    const runs = tool === 'tracert' ? Math.ceil(o.count / TRACERT_PROBES_PER_RUN) : 1;
    const outputs: string[] = [];
    let stderr = '';
    let stoppedBy: TraceRun['stoppedBy'] = null;
    let command: readonly string[] = [];
    try {
      for (let i = 0; i < runs && stoppedBy === null && !o.signal?.aborted; i++) {
        const cmd = traceCommand(o, tool, platform, intervalMs);
        command = [cmd.file, ...cmd.args];
        const r = await spawnTool(cmd.file, cmd.args, { signal: o.signal, deadlineMs: traceDurationMs({ ...o, intervalMs }, platform) + 2000 });
        outputs.push(r.stdout);
        stderr += r.stderr;
        stoppedBy = r.stoppedBy;
        if (r.stoppedBy === null && r.exitCode !== 0 && r.stdout.trim() === '') {
          throw new QosError('TRACE_FAILED', `${cmd.file} failed (exit code ${r.exitCode ?? r.exitSignal ?? '?'})${r.stderr.trim() ? `: ${r.stderr.trim().split(/\r?\n/).slice(0, 2).join(' | ')}` : ''}`);
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
        lastMissing = err as Error;
        continue; // not installed: try the next tool
      }
      throw err;
    }
    return { tool, outputs, stderr, stoppedBy, intervalMs, durationMs: performance.now() - t0, command };
  }
  throw new QosError('TRACE_UNAVAILABLE', `no path-tracing tool found (tried ${candidates.join(', ')})${lastMissing ? `: ${lastMissing.message}` : ''}`, {
    cause: lastMissing,
  });
}

