import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { routeError, splitHostPort, systemResolverLabel } from '../net/resolve.js';
import type { ProbeDef } from './probe.js';
import { runSchedule } from './pacing.js';
import type { BaseSpec, LinkBind } from '../core/samples.js';
import { dominantError, keptAttempts } from './common.js';

export interface DnsSpec extends BaseSpec {
  kind: 'dns';
  /** Name to resolve; default the endpoint's host. */
  name: string | null;
  /** Resolver address (`ip` or `ip:port`, `[v6]:port`); null = the system resolver (getaddrinfo, as applications see it). */
  server: string | null;
  record: 'A' | 'AAAA';
  /** Query a fresh random label under the name each time, so no cache on the way can answer. */
  nocache: boolean;
}

/**
 * DNS resolution time. With `server`, queries go straight to it (node:dns Resolver, one try,
 * no retries, so a lost query is a loss, not a slow answer); without, through the system
 * resolver. With `nocache`, a "no such name" answer is still an answer: it came from the
 * authoritative servers, which is exactly the uncached path being timed.
 */
export const dns: ProbeDef<DnsSpec> = {
  kind: 'dns',
  attempts: 'dns',
  configKeys: ['name', 'server', 'record', 'nocache'],
  defaults: { count: 5, intervalMs: 500, timeoutMs: 3_000 },
  parse(raw, base, r, path) {
    return {
      ...base,
      kind: 'dns',
      name: r.optStr(raw.name, `${path}.name`) ?? null,
      server: r.optStr(raw.server, `${path}.server`) ?? null,
      record: raw.record === undefined ? 'A' : r.oneOf(raw.record, `${path}.record`, ['A', 'AAAA'] as const),
      nocache: r.optBool(raw.nocache, `${path}.nocache`) ?? false,
    };
  },
  deadlineMs: (s) => s.count * s.intervalMs + s.timeoutMs,
  targetOf: (e, s) => `${s.name ?? e.host} ${s.record}${s.server ? ` @${s.server}` : ''}`,
  async run(endpoint, spec, { signal }) {
    const name = spec.name ?? endpoint.host;
    const target = `${name} ${spec.record}${spec.server ? ` @${spec.server}` : ''}`;
    const { results } = await runSchedule(spec.count, spec.intervalMs, signal, (seq, startMs) =>
      query(spec.nocache ? `${randomLabel()}.${name}` : name, spec, signal).then((q) => ({ ...q, seq, sentAtMs: q.sentAt - startMs })),
    );
    const queries = keptAttempts(results);
    return {
      target,
      targetIp: results.find((q) => q.address)?.address ?? null,
      samples: { type: 'dns', intervalMs: spec.intervalMs, queries },
      error: dominantError(queries),
      interrupted: signal.aborted,
    };
  },
};

/** Which resolver a message is about: a failure must name the server it was asked of (issue 15). */
function resolverLabel(spec: DnsSpec): string {
  return spec.server ? `server ${spec.server}` : systemResolverLabel();
}

/** 12 random base-32 characters: a label no cache has seen. */
function randomLabel(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(12)].map((b) => alphabet[b & 31]).join('');
}

interface Query {
  sentAt: number;
  rttMs: number | null;
  address?: string;
  errorCode?: MeasurementErrorCode;
  errorMessage?: string;
  cut: boolean;
}

/** Answers that are still answers when the name is a random label: the resolver said "no such name" or "no such record". */
const NEGATIVE_ANSWERS = new Set(['ENOTFOUND', 'ENODATA']);

async function query(name: string, spec: DnsSpec, signal: AbortSignal): Promise<Query> {
  if (spec.bind) return boundQuery(name, spec, spec.bind, signal);
  const { Resolver } = await import('node:dns/promises');
  const { lookup, getServers } = await import('node:dns/promises');
  const sentAt = performance.now();
  let resolver: InstanceType<typeof Resolver> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const guard = new Promise<Query>((resolve) => {
    timer = setTimeout(() => {
      resolver?.cancel();
      resolve({ sentAt, rttMs: null, errorCode: 'TIMEOUT', errorMessage: `${name}: no answer from ${resolverLabel(spec)} within ${spec.timeoutMs} ms`, cut: false });
    }, spec.timeoutMs);
    onAbort = () => {
      resolver?.cancel();
      resolve({ sentAt, rttMs: null, cut: true });
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const work = (async (): Promise<Query> => {
    try {
      let address: string | undefined;
      if (spec.server) {
        // One try, our own timeout: a lost UDP query shows as a loss, not as a retried slow answer.
        resolver = new Resolver({ timeout: spec.timeoutMs, tries: 1 });
        resolver.setServers([spec.server]);
        const out = spec.record === 'A' ? await resolver.resolve4(name) : await resolver.resolve6(name);
        address = out[0];
      } else {
        address = (await lookup(name, { family: spec.record === 'A' ? 4 : 6 })).address;
      }
      return { sentAt, rttMs: performance.now() - sentAt, address, cut: false };
    } catch (err) {
      const rttMs = performance.now() - sentAt;
      const code = (err as { code?: string }).code ?? '';
      if (spec.nocache && NEGATIVE_ANSWERS.has(code)) return { sentAt, rttMs, cut: false };
      if (code === 'ECANCELLED') return { sentAt, rttMs: null, cut: true };
      const mapped = measurementCodeFor(err);
      // c-ares reports a send the kernel refused as ECONNREFUSED: ask the kernel whether the server has a route at all.
      const server = spec.server ?? getServers()[0];
      const noRoute = server && mapped !== 'TIMEOUT' ? await routeError(splitHostPort(server).host) : null;
      if (noRoute) return { sentAt, rttMs: null, errorCode: noRoute.code, errorMessage: `${name}: ${resolverLabel(spec)}: ${noRoute.message}`, cut: false };
      const failed = mapped === 'SOCKET_ERROR' || mapped === 'CONNECT_REFUSED' ? 'DNS_FAILED' : mapped;
      return { sentAt, rttMs: null, errorCode: failed, errorMessage: `${name}: ${resolverLabel(spec)}: ${errorMessage(err)}`, cut: false };
    }
  })();
  const q = await Promise.race([work, guard]);
  clearTimeout(timer);
  if (onAbort) signal.removeEventListener('abort', onAbort);
  return q;
}

/**
 * Over a link (issue 22): neither getaddrinfo nor c-ares can be bound to a device, so the query goes to the resolver
 * itself through a socket bound to the link (net/dns-bound.ts): `server`, else the system's first resolver. The
 * outcomes mean what they mean unbound: an answer, a negative answer (an answer with nocache), a loss, a failure.
 */
async function boundQuery(name: string, spec: DnsSpec, bind: LinkBind, signal: AbortSignal): Promise<Query> {
  const sentAt = performance.now();
  const { getServers } = await import('node:dns/promises');
  const server = spec.server ?? getServers()[0] ?? null;
  if (server === null) return { sentAt, rttMs: null, errorCode: 'DNS_FAILED', errorMessage: `${name}: no resolver to ask over ${bind.device} (set server:)`, cut: false };
  const { host, port } = splitHostPort(server);
  const { boundDnsQuery } = await import('../net/dns-bound.js');
  const r = await boundDnsQuery({ bind, server: host, port: port ?? 53, name, record: spec.record, timeoutMs: spec.timeoutMs, signal });
  const label = `${name}: server ${server} over ${bind.device}`;
  if (!r.ok) {
    if (r.cut) return { sentAt, rttMs: null, cut: true };
    const code = r.code === 'CONNECT_REFUSED' || r.code === 'SOCKET_ERROR' ? 'DNS_FAILED' : (r.code ?? 'DNS_FAILED');
    return { sentAt, rttMs: null, errorCode: code, errorMessage: `${label}: ${r.message ?? code}`, cut: false };
  }
  // NOERROR with an address is an answer; NXDOMAIN (3) or no record is one too with nocache (the uncached path ran).
  if (r.rcode === 0 && r.address !== null) return { sentAt, rttMs: r.rttMs, address: r.address, cut: false };
  if (spec.nocache && (r.rcode === 3 || r.rcode === 0)) return { sentAt, rttMs: r.rttMs, cut: false };
  return { sentAt, rttMs: null, errorCode: 'DNS_FAILED', errorMessage: `${label}: ${r.rcode === 3 ? 'no such name' : r.rcode === 0 ? `no ${spec.record} record` : `rcode ${r.rcode}`}`, cut: false };
}
