import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { QosError, measurementCodeFor, errorMessage } from '../errors.js';

export interface Resolved {
  address: string;
  family: 4 | 6;
}

/**
 * Resolve a host name once, before a test, so name resolution is not counted in the
 * measured times. A failure becomes DNS_FAILED (a result record, not a crash).
 */
export async function resolveHost(host: string, opts: { family?: 4 | 6; signal?: AbortSignal } = {}): Promise<Resolved> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const kind = isIP(bare);
  if (kind === 4 || kind === 6) return { address: bare, family: kind };
  try {
    const lookupP = lookup(bare, { family: opts.family ?? 0, verbatim: true });
    const r = opts.signal ? await raceAbort(lookupP, opts.signal) : await lookupP;
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch (err) {
    const code = measurementCodeFor(err);
    throw new QosError(code === 'ABORTED' ? 'ABORTED' : 'DNS_FAILED', `cannot resolve ${bare}: ${errorMessage(err)}`, { cause: err });
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new QosError('ABORTED', 'aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new QosError('ABORTED', 'aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Split "host:port", "[v6]:port" or "v6" (no port). */
export function splitHostPort(s: string): { host: string; port: number | null } {
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m6) return { host: m6[1] as string, port: m6[2] ? Number(m6[2]) : null };
  if (isIP(s) === 6) return { host: s, port: null };
  const i = s.lastIndexOf(':');
  if (i > 0 && /^\d+$/.test(s.slice(i + 1))) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s, port: null };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
