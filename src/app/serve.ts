/**
 * `qosprobe serve` (and a library user's server): both services started with their bind errors, a start-up line
 * that says what serves and how it timestamps, then the server's lifetime: until io.signal fires, then closed.
 * Its log lines, each with its time, go through io.events.say.
 */
import { EXIT } from '../core/errors.js';
import { SERVE_DEFAULTS } from '../core/serve-defaults.js';
import type { RunningServe } from '../serve/server.js';
import type { AppIo } from './io.js';

export interface ServeFlags {
  /** Bind address; absent: all, IPv6 and IPv4. */
  host?: string;
  /** 0 picks a free port. */
  stampPort?: number;
  httpPort?: number;
  stateful?: boolean;
  /** Largest /down or /up transfer, bytes. */
  maxBytes?: number;
  maxConcurrent?: number;
  /** Bearer token the HTTP endpoints require; absent: $QOSPROBE_SERVE_TOKEN, else open. */
  token?: string;
  /** STAMP packets per second accepted from one source address. */
  rateLimit?: number;
  /** No log lines. */
  quiet?: boolean;
}

/**
 * Serve until io.signal fires; `started` is told the ports (0 asked for a free one). A signal is how a server is
 * meant to stop: the exit code is 0, not 130.
 */
export async function serve(io: AppIo, flags: ServeFlags, started?: (s: RunningServe) => void): Promise<number> {
  const [{ startServe }, { nativeUdpUnavailable }] = await Promise.all([import('../serve/server.js'), import('../stamp/native.js')]);
  const log = flags.quiet ? () => {} : (line: string) => io.events.say(`${new Date().toISOString()} ${line}\n`);
  // The token may come from the environment so it does not show in `ps`.
  const token = flags.token ?? (io.env.QOSPROBE_SERVE_TOKEN || null);
  const rateLimitPps = flags.rateLimit ?? SERVE_DEFAULTS.rateLimitPps;
  const s = await startServe({
    host: flags.host ?? null,
    stampPort: flags.stampPort ?? SERVE_DEFAULTS.stampPort,
    httpPort: flags.httpPort ?? SERVE_DEFAULTS.httpPort,
    stateful: Boolean(flags.stateful),
    rateLimitPps,
    maxBytes: flags.maxBytes ?? SERVE_DEFAULTS.maxBytes,
    maxConcurrent: flags.maxConcurrent ?? SERVE_DEFAULTS.maxConcurrent,
    token,
    log,
  });
  log(
    `serving on ${s.host}: STAMP udp/${s.stampPort} (${flags.stateful ? 'stateful' : 'stateless'}, ${rateLimitPps} pps per source, ${
      s.reflector.timestamping === 'kernel_rx' ? 'kernel timestamps' : `JavaScript timestamps: native socket ${nativeUdpUnavailable() ?? 'not used'}`
    }), HTTP tcp/${s.httpPort}${token ? ' (token required)' : ''}`,
  );
  started?.(s);
  if (!io.signal.aborted) await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  log(`${String(io.signal.reason ?? 'signal')}: shutting down`);
  await s.close();
  return EXIT.OK;
}
