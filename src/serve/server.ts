/**
 * `qosprobe serve`: the STAMP reflector and the HTTP endpoints in one process, for a team
 * to deploy at a data centre or regional office. Library code: no `process` here; the CLI
 * passes a log function and calls close() on SIGTERM.
 */
import { QosError, errorMessage } from '../core/errors.js';
import { startHttpServer } from './http.js';
import { startStampReflector, type StampReflector } from './stamp-reflector.js';

export interface ServeOptions {
  /** Bind address for both services; null = all addresses, IPv6 and IPv4 ('::'), or IPv4 only where IPv6 is off. */
  host: string | null;
  /** UDP port of the STAMP reflector (IANA: 862); 0 picks a free one. */
  stampPort: number;
  /** TCP port of the HTTP endpoints; 0 picks a free one. */
  httpPort: number;
  stateful: boolean;
  /** Packets per second accepted from one source address by the reflector. */
  rateLimitPps: number;
  /** Largest /down or /up body, bytes. */
  maxBytes: number;
  /** Concurrent HTTP transfers. */
  maxConcurrent: number;
  /** Bearer token required on the HTTP endpoints; null = open. */
  token: string | null;
  log: (line: string) => void;
}

export interface RunningServe {
  host: string;
  stampPort: number;
  httpPort: number;
  reflector: StampReflector;
  close(): Promise<void>;
}

export { SERVE_DEFAULTS } from '../core/serve-defaults.js';

export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const { reflector, host } = await bindReflector(o);
  let http: { port: number; close(): Promise<void> };
  try {
    http = await startHttpServer({ host, port: o.httpPort, maxBytes: o.maxBytes, maxConcurrent: o.maxConcurrent, token: o.token, log: o.log });
  } catch (err) {
    await reflector.close();
    throw bindError(err, 'TCP', o.httpPort, '--http-port');
  }
  return {
    host,
    stampPort: reflector.port,
    httpPort: http.port,
    reflector,
    close: async () => {
      await Promise.all([reflector.close(), http.close()]);
    },
  };
}

async function bindReflector(o: ServeOptions): Promise<{ reflector: StampReflector; host: string }> {
  const hosts = o.host !== null ? [o.host] : ['::', '0.0.0.0'];
  let last: unknown;
  for (const host of hosts) {
    try {
      const reflector = await startStampReflector({ host, port: o.stampPort, stateful: o.stateful, rateLimitPps: o.rateLimitPps, log: o.log });
      return { reflector, host };
    } catch (err) {
      last = err;
      // '::' fails where IPv6 is disabled: fall back to IPv4 only; any other failure is final.
      const code = (err as NodeJS.ErrnoException).code;
      if (!(o.host === null && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL'))) break;
    }
  }
  throw bindError(last, 'UDP', o.stampPort, '--stamp-port');
}

function bindError(err: unknown, proto: string, port: number, flag: string): QosError {
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'EACCES'
      ? `: ports below 1024 need root or CAP_NET_BIND_SERVICE; choose another with ${flag}`
      : code === 'EADDRINUSE'
        ? `: something else is listening there; choose another with ${flag}`
        : '';
  return new QosError('USAGE', `cannot listen on ${proto} port ${port}: ${errorMessage(err)}${hint}`, { cause: err });
}
