/** The DNS wire format of queries bound to a link (issue 22): what goes out, what is read back, hostile replies. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeDnsQuery, parseDnsReply } from '../../src/net/dns-wire.js';

/** A reply as a resolver writes it: the question echoed, answers with a compression pointer to it (0xc00c). */
function reply(id: number, question: Buffer, rcode: number, answers: { type: number; data: number[] }[]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x8180 | rcode, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((a) => Buffer.from([0xc0, 0x0c, a.type >> 8, a.type & 255, 0, 1, 0, 0, 0, 60, a.data.length >> 8, a.data.length & 255, ...a.data]));
  return Buffer.concat([h, question, ...rrs]);
}

describe('DNS wire', () => {
  it('a query: id, RD, one question of labels, type and class IN', () => {
    const q = encodeDnsQuery(0x1234, 'www.example.org', 'AAAA');
    expect(q.readUInt16BE(0)).toBe(0x1234);
    expect(q.readUInt16BE(2)).toBe(0x0100);
    expect(q.subarray(12).toString('latin1')).toBe('\x03www\x07example\x03org\x00\x00\x1c\x00\x01');
  });

  it('refuses names DNS cannot carry', () => {
    expect(() => encodeDnsQuery(1, 'a..b', 'A')).toThrow(/not a DNS name/);
    expect(() => encodeDnsQuery(1, `${'x'.repeat(64)}.org`, 'A')).toThrow(/not a DNS name/);
  });

  it('reads the answer: A and AAAA, skipping other records (a CNAME first)', () => {
    const q = encodeDnsQuery(7, 'example.org', 'A').subarray(12);
    const r = reply(7, q, 0, [
      { type: 5, data: [0xc0, 0x0c] },
      { type: 1, data: [10, 77, 210, 250] },
    ]);
    expect(parseDnsReply(r, 7, 'A')).toEqual({ ok: true, rcode: 0, addresses: ['10.77.210.250'] });
    const six = reply(8, encodeDnsQuery(8, 'example.org', 'AAAA').subarray(12), 0, [{ type: 28, data: [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1] }]);
    expect(parseDnsReply(six, 8, 'AAAA')).toEqual({ ok: true, rcode: 0, addresses: ['2001:0db8:0000:0000:0000:0000:0000:0001'] });
    expect(parseDnsReply(reply(9, q, 3, []), 9, 'A')).toEqual({ ok: true, rcode: 3, addresses: [] });
  });

  it('another query’s reply, a query, a cut reply: not read', () => {
    const q = encodeDnsQuery(7, 'example.org', 'A');
    expect(parseDnsReply(q, 7, 'A')).toMatchObject({ ok: false, reason: expect.stringMatching(/QR/) });
    const r = reply(7, q.subarray(12), 0, [{ type: 1, data: [1, 2, 3, 4] }]);
    expect(parseDnsReply(r, 8, 'A')).toMatchObject({ ok: false });
    expect(parseDnsReply(r.subarray(0, r.length - 2), 7, 'A')).toMatchObject({ ok: false, reason: 'answer data cut short' });
  });

  it('hostile replies: never a throw, only addresses that are addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom('A' as const, 'AAAA' as const), (bytes, type) => {
        const buf = Buffer.from(bytes);
        const id = buf.length >= 2 ? buf.readUInt16BE(0) : 0;
        const r = parseDnsReply(buf, id, type);
        if (r.ok) for (const a of r.addresses) expect(a).toMatch(type === 'A' ? /^\d+\.\d+\.\d+\.\d+$/ : /^[0-9a-f:]+$/);
      }),
    );
  });
});
