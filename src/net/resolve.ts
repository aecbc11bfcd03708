import { createSocket } from 'node:dgram';
import { getServers, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { QosError, measurementCodeFor, errorMessage, type MeasurementErrorCode } from '../core/errors.js';

export interface Resolved {
  address: string;
  family: 4 | 6;
}

/**
 * Resolve a host name once, before a test, so name resolution is not counted in the
 * measured times. A failure becomes DNS_FAILED (a result record, not a crash), naming the
 * resolver; `timeoutMs` bounds the wait (the OS resolver may retry for tens of seconds when
 * its server is gone: the test ends, the lookup is left to finish on its own).
 */
export async function resolveHost(host: string, opts: { family?: 4 | 6; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Resolved> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const kind = isIP(bare);
  if (kind === 4 || kind === 6) return { address: bare, family: kind };
  let timer: NodeJS.Timeout | undefined;
  try {
    const lookupP = lookup(bare, { family: opts.family ?? 0, verbatim: true });
    const bounded =
      opts.timeoutMs === undefined
        ? lookupP
        : Promise.race([
            lookupP,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new QosError('TIMEOUT', `no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
            }),
          ]);
    const r = opts.signal ? await raceAbort(bounded, opts.signal) : await bounded;
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch (err) {
    const code = measurementCodeFor(err);
    if (code === 'ABORTED') throw new QosError('ABORTED', `cannot resolve ${bare}: ${errorMessage(err)}`, { cause: err });
    throw new QosError('DNS_FAILED', `cannot resolve ${bare} (${systemResolverLabel()}): ${errorMessage(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** "system resolver 10.77.1.1" (the servers of resolv.conf), for messages that must say which DNS failed. */
export function systemResolverLabel(): string {
  let servers: string[] = [];
  try {
    servers = getServers();
  } catch {
    // no resolver configuration: say so below
  }
  return servers.length > 0 ? `system resolver ${servers.join(', ')}` : 'system resolver';
}

/**
 * Whether this host has a route to `address`, asked of the kernel without sending anything (a UDP
 * connect() only looks the route up). NETWORK_UNREACHABLE / HOST_UNREACHABLE when it has none, null when it has one.
 * Used where a library hides the socket error (c-ares reports a failed send as ECONNREFUSED).
 */
export async function routeError(address: string): Promise<{ code: MeasurementErrorCode; message: string } | null> {
  const family = isIP(address);
  if (family === 0) return null;
  const sock = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    const err = await new Promise<Error | null>((resolve) => {
      sock.once('error', resolve);
      sock.connect(53, address, (e?: Error) => resolve(e ?? null));
    });
    if (!err) return null;
    const code = measurementCodeFor(err);
    return code === 'NETWORK_UNREACHABLE' || code === 'HOST_UNREACHABLE' ? { code, message: errorMessage(err) } : null;
  } finally {
    try {
      sock.close();
    } catch {
      // a failed bind already closed it
    }
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
