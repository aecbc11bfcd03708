/**
 * The DNS wire format, the little a query bound to a link needs (issue 22: neither getaddrinfo nor c-ares can be bound
 * to a device, so over a link qosprobe asks the resolver itself): one question out (RFC 1035 4.1), the answer's
 * header and A/AAAA records back. Pure; a reply that does not read is `ok: false`, never a guess.
 */
import { isIP } from 'node:net';

export type DnsRecordType = 'A' | 'AAAA';
const TYPE_CODE: Record<DnsRecordType, number> = { A: 1, AAAA: 28 };

/** A recursive query (RD set) for `name`, with this 16-bit id; throws on a name DNS cannot carry. */
export function encodeDnsQuery(id: number, name: string, type: DnsRecordType): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  if (labels.some((l) => l.length === 0 || Buffer.byteLength(l) > 63) || Buffer.byteLength(name) > 253) throw new Error(`not a DNS name: ${JSON.stringify(name)}`);
  const q = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(TYPE_CODE[type], 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, q, tail]);
}

export type DnsReply = { ok: true; rcode: number; addresses: string[] } | { ok: false; reason: string };

/** Offset after a (possibly compressed) name at `at`, or -1 when it runs off the message or loops. */
function skipName(buf: Buffer, at: number): number {
  let i = at;
  for (let n = 0; n < 128; n++) {
    if (i >= buf.length) return -1;
    const len = buf[i] as number;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2 <= buf.length ? i + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    i += 1 + len;
  }
  return -1;
}

/** The reply to query `id`: its rcode and the A/AAAA addresses of its answer section. */
export function parseDnsReply(buf: Buffer, id: number, type: DnsRecordType): DnsReply {
  if (buf.length < 12) return { ok: false, reason: 'shorter than a DNS header' };
  if (buf.readUInt16BE(0) !== (id & 0xffff)) return { ok: false, reason: 'not the answer to this query (id)' };
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return { ok: false, reason: 'not a response (QR clear)' };
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let i = 12;
  for (let k = 0; k < qd; k++) {
    i = skipName(buf, i);
    if (i < 0 || i + 4 > buf.length) return { ok: false, reason: 'question section cut short' };
    i += 4;
  }
  const addresses: string[] = [];
  for (let k = 0; k < an; k++) {
    i = skipName(buf, i);
    if (i < 0 || i + 10 > buf.length) return { ok: false, reason: 'answer section cut short' };
    const rtype = buf.readUInt16BE(i);
    const rdlen = buf.readUInt16BE(i + 8);
    i += 10;
    if (i + rdlen > buf.length) return { ok: false, reason: 'answer data cut short' };
    if (rtype === TYPE_CODE[type] && rdlen === (type === 'A' ? 4 : 16)) {
      const raw = buf.subarray(i, i + rdlen);
      const addr = type === 'A' ? [...raw].join('.') : (raw.toString('hex').match(/.{4}/g) as string[]).join(':');
      if (isIP(addr)) addresses.push(addr);
    }
    i += rdlen;
  }
  return { ok: true, rcode: flags & 0x0f, addresses };
}
