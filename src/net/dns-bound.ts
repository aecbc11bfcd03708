/**
 * One DNS query through a link (issue 22): a UDP socket of the native addon bound to the device (SO_BINDTODEVICE),
 * connected to the resolver, one try, our own timeout. Times are the addon's: the send right before the system call,
 * the reply's kernel arrival stamp. Failures are data (a code and a message), never a throw.
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { measurementCodeFor, errorMessage, type MeasurementErrorCode } from '../core/errors.js';
import { bindError, binder } from '../core/native.js';
import type { LinkBind } from '../core/samples.js';
import { encodeDnsQuery, parseDnsReply, type DnsRecordType } from './dns-wire.js';

export interface BoundDnsQuery {
  bind: LinkBind;
  /** Resolver IP literal and port. */
  server: string;
  port: number;
  name: string;
  record: DnsRecordType;
  timeoutMs: number;
  signal: AbortSignal;
}

export type BoundDnsResult =
  | { ok: true; rttMs: number; rcode: number; address: string | null }
  | { ok: false; cut: boolean; code?: MeasurementErrorCode; message?: string };

export function boundDnsQuery(q: BoundDnsQuery): Promise<BoundDnsResult> {
  const family = isIP(q.server) === 6 ? 6 : 4;
  let n: ReturnType<typeof binder>;
  let handle: ReturnType<ReturnType<typeof binder>['open']>['handle'];
  try {
    n = binder(q.bind.device);
    try {
      ({ handle } = n.open(family, family === 6 ? '::' : '0.0.0.0', 0, true, q.bind.device));
    } catch (err) {
      throw bindError(q.bind.device, err);
    }
  } catch (err) {
    return Promise.resolve({ ok: false, cut: false, code: measurementCodeFor(err), message: errorMessage(err) });
  }
  const id = randomInt(0, 0x10000);
  return new Promise<BoundDnsResult>((resolve) => {
    let done = false;
    let sentMono = 0;
    const finish = (r: BoundDnsResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      q.signal.removeEventListener('abort', onAbort);
      n.close(handle);
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, cut: true });
    const timer = setTimeout(() => finish({ ok: false, cut: false, code: 'TIMEOUT', message: `no answer from ${q.server} within ${q.timeoutMs} ms` }), q.timeoutMs);
    q.signal.addEventListener('abort', onAbort, { once: true });
    if (q.signal.aborted) return onAbort();
    try {
      n.connect(handle, q.server, q.port);
      // Times on the addon's monotonic clock (monoMinusCaller 0): rx − tx is the round trip.
      n.start(
        handle,
        Buffer.alloc(4096),
        (buf, length, _a, _p, rxMono) => {
          if (length < 0) return 0;
          const reply = parseDnsReply(buf.subarray(0, length), id, q.record);
          if (!reply.ok) return 0; // not ours, or unreadable: keep waiting until the timeout
          finish({ ok: true, rttMs: rxMono - sentMono, rcode: reply.rcode, address: reply.addresses[0] ?? null });
          return 0;
        },
        (code, message) => finish({ ok: false, cut: false, code: measurementCodeFor({ code }), message: `${q.server}: ${message}` }),
        -1,
        0,
        0,
      );
      const query = encodeDnsQuery(id, q.name, q.record);
      sentMono = n.send(handle, query, query.length, -1, 0);
    } catch (err) {
      finish({ ok: false, cut: false, code: measurementCodeFor(err), message: `${q.server}: ${errorMessage(err)}` });
    }
  });
}
