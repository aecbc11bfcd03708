/**
 * Adapter over the `ping` package (0.4.4) and the system ping it drives: one ping test in, its
 * raw output and exit out; failures to run become our error codes. Reading the output is
 * ping-parse.ts's job.
 *
 * What we take from the package, and what we don't. `ping.promise.probe()` cannot carry this
 * test (checked in node_modules/ping/lib/ping-promise.js and lib/builder/*.js):
 * - no abort: it keeps the child process to itself, so an interrupted test could neither stop
 *   ping nor keep what it printed;
 * - no environment of our own: on Linux its spawn options are `Object.assign(process.env,
 *   {LANG: 'C'})`, which rewrites this whole process's environment on every call, and sets LANG,
 *   which a user's LC_ALL or LC_NUMERIC still overrides (then iputils prints "Zeit=0,045 ms");
 * - it merges stderr into the output and drops the exit status and the spawn error's code
 *   ("binary not found" looks like any other failure);
 * - on Windows its per-reply timeout (seconds) is ×1000 then `%d`, which prints fractions:
 *   1001 ms becomes "-w 1000.9999999999999".
 * So we spawn ping ourselves, with the package's own pieces for what it knows: which binary
 * on which platform (`getExecutablePath`) and its flags (`createBuilder().getCommandArguments`).
 * Only the interval (the package has no option for it), `-6` on Linux and Windows' `-w` are ours.
 */
import { spawnTool, type Spawned } from './spawn-tool.js';
import { createRequire } from 'node:module';
import { platform as osPlatform } from 'node:os';
import type { PingConfig } from 'ping';
import { QosError, errorMessage } from '../core/errors.js';
import type { LinkBind } from '../core/samples.js';
import { assertBindable } from './bind.js';
import { parsePingOutput, pingStartFailureCode } from './ping-parse.js';

export interface PingOptions {
  /** An IP address: resolve names before (DNS time stays out of the RTT, and ping would resolve again). */
  address: string;
  family: 4 | 6;
  /** Echo requests to send. */
  count: number;
  /** Time between requests, ms. Windows' ping.exe cannot set it (about one a second). */
  intervalMs: number;
  /** How long ping waits for a reply, ms; Linux and macOS ping take whole seconds, so it is rounded up there. */
  timeoutMs: number;
  /** ICMP payload bytes (`-s`, Windows `-l`). */
  sizeBytes: number;
  /** Stops ping (SIGINT, then SIGKILL): what it printed until then is still returned. */
  signal?: AbortSignal;
  /** Overall bound for the run, ms; a backstop, by default pingDurationMs() + 2 s. */
  deadlineMs?: number;
  /** Leave through this link (issue 22): Linux `ping -I <device>`, checked first (net/bind.ts); elsewhere INTERFACE_BIND_UNAVAILABLE. */
  bind?: LinkBind;
  /** Run this program instead of the system ping, with the same arguments (tests). */
  binary?: string;
  /** Build the command for this platform instead of this machine's (tests). */
  platform?: NodeJS.Platform;
}

/** A ping run: what spawnTool collected (its exit code is not a measurement: see docs/icmp.md), and how it was run. */
export interface PingRun extends Spawned {
  /** The interval ping really used, ms (Windows: 1000 whatever was asked). */
  intervalMs: number;
  /** The platform the command was built for (the parser's tie-breaker). */
  platform: NodeJS.Platform;
  /** The program and its arguments, for messages. */
  command: readonly string[];
}

/** How long ping gets after SIGINT to print its summary and exit before it is killed. */
const KILL_GRACE_MS = 1000;

// ---- the package's argument builders ----------------------------------------------------------

/** The builders' config: the package's PingConfig, where `timeout: false` (a boolean) means "no -W". */
type BuilderConfig = Omit<PingConfig, 'timeout'> & { timeout?: number | false };

interface PingBuilderFactory {
  isLinux(platform: string): boolean;
  isMacOS(platform: string): boolean;
  isWindow(platform: string): boolean;
  isPlatformSupport(platform: string): boolean;
  getExecutablePath(platform: string, v6: boolean): string;
  createBuilder(platform: string): { getCommandArguments(target: string, config: BuilderConfig): string[] };
}

let factory: PingBuilderFactory | undefined;

/**
 * The package publishes these files but no types or export map for them; loaded on first use so
 * that importing this module (for pingDurationMs) costs nothing.
 */
function builders(): PingBuilderFactory {
  factory ??= createRequire(import.meta.url)('ping/lib/builder/factory.js') as PingBuilderFactory;
  return factory;
}

/** The program and arguments for one test. Throws PING_UNAVAILABLE on a platform the package does not support. */
export function pingCommand(o: PingOptions, platform: NodeJS.Platform = o.platform ?? osPlatform()): { file: string; args: string[] } {
  const f = builders();
  if (!f.isPlatformSupport(platform)) throw new QosError('PING_UNAVAILABLE', `the ping package does not support the system ping of ${platform}`);
  const windows = Boolean(f.isWindow(platform));
  const linux = f.isLinux(platform);
  const v6 = o.family === 6;
  const extra: string[] = [];
  if (windows) extra.push('-w', String(Math.ceil(o.timeoutMs)));
  else extra.push('-i', String(o.intervalMs / 1000)); // JS never writes a decimal comma; LC_ALL=C makes old iputils read it as such
  // The builder would run `ping6` on Linux, a name many distributions no longer ship; iputils
  // (since 2016) and BusyBox take -6.
  if (linux && v6) extra.push('-6');
  if (o.bind) {
    if (!linux) throw new QosError('INTERFACE_BIND_UNAVAILABLE', `ping over ${o.bind.device}: binding to an interface is implemented on Linux only (this is ${platform})`);
    // -I with a device name: iputils binds the socket to it (SO_BINDTODEVICE) and takes its source address.
    extra.push('-I', o.bind.device);
  }
  const config: BuilderConfig = {
    numeric: true, // -n: no reverse lookups of repliers (slow, and they change the line format)
    // -W: seconds on Linux, seconds ×1000 = ms on macOS (the builders format with %d, so whole
    // seconds only); macOS ping6 has no -W and the builder throws if it is set.
    timeout: windows || (f.isMacOS(platform) && v6) ? false : Math.max(1, Math.ceil(o.timeoutMs / 1000)),
    min_reply: o.count, // -c (Windows -n)
    v6: linux ? false : v6,
    packetSize: o.sizeBytes,
    extra,
  };
  const args = f.createBuilder(platform).getCommandArguments(o.address, config);
  return { file: o.binary ?? f.getExecutablePath(platform, linux ? false : v6), args };
}

/**
 * iputils ping, with its next send due within a clock tick (10 ms) and a reply outstanding, sleeps
 * 10 ms (its MININTERVAL) waiting for the reply instead: at intervals up to 10 ms each lost packet
 * stretches the schedule by up to 10 ms (measured through 100 % loss: 10.6 ms a packet at -i 0.001,
 * 16 ms at -i 0.01). 11 ms: that, plus the wake-up.
 */
const IPUTILS_LOSS_WAIT_MS = 11;
const IPUTILS_TICK_MS = 10;
/**
 * Longer intervals drift too: iputils never catches up a late send, so on a busy host each late wake-up adds up
 * (measured: 2,000 packets at -i 0.1 sent at 105.6 ms each with the load average at 8 on 2 CPUs).
 */
const IPUTILS_DRIFT = 1.25;

/**
 * An upper bound of how long ping runs (loss and a busy host included). Linux/macOS: the last
 * request leaves (count − 1) intervals after the first (each stretched by iputils' wait for a lost
 * reply at intervals up to 10 ms, or by its drift above), then ping waits at most its -W for
 * replies, plus a second to start.
 * Windows: each request waits up to the timeout, then about a second.
 */
export function pingDurationMs(o: Pick<PingOptions, 'count' | 'intervalMs' | 'timeoutMs'>, platform: NodeJS.Platform = osPlatform()): number {
  if (platform === 'win32') return o.count * (o.timeoutMs + 1000) + 1000;
  const perPacketMs = o.intervalMs <= IPUTILS_TICK_MS ? o.intervalMs + IPUTILS_LOSS_WAIT_MS : o.intervalMs * IPUTILS_DRIFT;
  return (o.count - 1) * perPacketMs + Math.max(1, Math.ceil(o.timeoutMs / 1000)) * 1000 + 1000;
}

// ---- running ------------------------------------------------------------------------------------

/**
 * Run one ping test. Resolves with whatever ping printed, also when it was stopped early
 * (`stoppedBy`). Rejects with QosError:
 * - PING_UNAVAILABLE: no ping binary (ENOENT), not executable, or an unsupported platform;
 * - NETWORK_UNREACHABLE / HOST_UNREACHABLE: ping refused to start for want of a route or address;
 * - PING_FAILED: ping ended by itself, unsuccessfully, before printing a usable result (bad
 *   option, an interval below what a non-root user may use, unknown host, sendto failing): the
 *   message is its stderr;
 * - ABORTED: the signal had fired before ping started.
 */
export function runPing(o: PingOptions): Promise<PingRun> {
  const platform = o.platform ?? osPlatform();
  if (o.signal?.aborted) return Promise.reject(new QosError('ABORTED', 'aborted before ping started'));
  let cmd: { file: string; args: string[] };
  try {
    cmd = pingCommand(o, platform);
    if (o.bind && !o.binary) assertBindable(o.bind);
  } catch (err) {
    return Promise.reject(err instanceof QosError ? err : new QosError('PING_UNAVAILABLE', errorMessage(err), { cause: err }));
  }
  const command = [cmd.file, ...cmd.args];
  const intervalMs = platform === 'win32' ? 1000 : o.intervalMs;

  return spawnTool(cmd.file, cmd.args, { signal: o.signal, deadlineMs: o.deadlineMs ?? pingDurationMs(o, platform) + 2000, killGraceMs: KILL_GRACE_MS }).then(
    (r) => {
      const run: PingRun = { ...r, intervalMs, platform, command };
      const failed = failedOnItsOwn(run);
      if (failed) throw failed;
      return run;
    },
    (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT' || e.code === 'EACCES';
      throw new QosError(missing ? 'PING_UNAVAILABLE' : 'PING_FAILED', `${missing ? 'no usable ping program' : 'cannot start ping'}: ${e.message}`, { cause: e });
    },
  );
}

/**
 * Ping ended by itself, unsuccessfully, and printed nothing we can use as a whole result. The
 * exit status is consulted only here, to tell "ping refused to run" from "ping ran": it never
 * decides whether a host answered (Windows exits 0 on unreachable, iputils 0 with 40% loss), and
 * a run that exited 0 with unreadable output is the probe's PING_UNPARSEABLE, not this.
 */
function failedOnItsOwn(run: PingRun): QosError | null {
  if (run.stoppedBy !== null || run.exitCode === 0) return null;
  const parsed = parsePingOutput(run.stdout, { platform: run.platform });
  // A complete run with 100% loss also exits non-zero; Windows needs no summary (one line per request).
  if (parsed.status === 'parsed' && (parsed.complete || parsed.flavour === 'windows')) return null;
  const how = run.exitCode !== null ? `exit code ${run.exitCode}` : `signal ${run.exitSignal ?? '?'}`;
  const said = excerpt(run.stderr) || excerpt(run.stdout);
  // Refused for want of a route or an address: the same failure, and code, as in every other probe.
  const code = pingStartFailureCode(run.stderr) ?? 'PING_FAILED';
  return new QosError(code, `ping failed (${how})${said ? `: ${said}` : ' and printed nothing'}`);
}

/** The first lines of what ping said, for an error message. */
function excerpt(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const s = lines.slice(0, 3).join(' | ');
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}
