/**
 * Property tests over what a stranger controls on `serve`: request targets and STAMP datagrams
 * (bounded to a few seconds each).
 */
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_SERVE_LIMITS, requestUrl, startHttpServerWith } from '../../src/serve/http.js';
import { startStampReflector, type StampReflector } from '../../src/serve/stamp-reflector.js';
import { OFF, STAMP_MIN_BYTES } from '../../src/stamp/packet.js';
import { rawHttp } from '../helpers/serve-child.js';

/** Any target a client can put on the request line: the bytes HTTP allows there (no space, CR, LF), and some it doesn't. */
const targetChar = fc.oneof(
  fc.constantFrom(...'/?#%[]:@!$&\'()*+,;=-._~abcXYZ019'.split('')),
  fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)),
);
const target = fc.oneof(
  fc.array(targetChar, { maxLength: 60 }).map((cs) => cs.join('')),
  fc.array(targetChar, { maxLength: 40 }).map((cs) => '/' + cs.join('')),
  fc.array(targetChar, { maxLength: 40 }).map((cs) => '//' + cs.join('')),
  fc.array(targetChar, { maxLength: 40 }).map((cs) => 'http://' + cs.join('')),
);

describe('request targets', () => {
  it('requestUrl never throws, and gives null or a URL whose path starts with /', () => {
    fc.assert(
      fc.property(target, (t) => {
        const u = requestUrl(t);
        expect(u === null || u.pathname.startsWith('/')).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('the server answers every generated target with a status line (or closes), and still answers /ping', async () => {
    const s = await startHttpServerWith({ host: '127.0.0.1', port: 0, maxBytes: 1000, maxConcurrent: 2, token: null, log: () => {} }, HTTP_SERVE_LIMITS);
    try {
      await fc.assert(
        fc.asyncProperty(target.filter((t) => t.length > 0), async (t) => {
          const text = await rawHttp(s.port, Buffer.from(`GET ${t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1'), 1000);
          expect(text === '' || /^HTTP\/1\.1 [1-5]\d\d /.test(text)).toBe(true);
        }),
        { numRuns: 150 },
      );
      expect(await rawHttp(s.port, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 1000)).toMatch(/^HTTP\/1\.1 200 [\s\S]*pong$/);
    } finally {
      await s.close();
    }
  });
});

const CONTROL = Buffer.alloc(STAMP_MIN_BYTES, 0);
CONTROL.writeUInt32BE(0xc0ffee, 0);
CONTROL.writeUInt32BE(0xdeadbeef, 4);

describe('STAMP datagrams', () => {
  let r: StampReflector;
  beforeAll(async () => {
    r = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: false, rateLimitPps: 1e6, log: () => {} });
  });
  afterAll(async () => {
    await r.close();
  });

  it('any datagram: under 44 bytes or a reflection (bytes 16–23 set) no reply; else one reply of the same size carrying its sequence, timestamp, error estimate and SSID', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    try {
      await fc.assert(
        // Half the datagrams look like requests (bytes 16–23 zero), so both branches are exercised.
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 1500 }), fc.boolean(), async (bytes, asRequest) => {
          const req = Buffer.from(bytes);
          if (asRequest) req.fill(0, OFF.receiveTimestamp, Math.min(req.length, OFF.receiveTimestamp + 8));
          const reflection = req.length >= STAMP_MIN_BYTES && !req.subarray(OFF.receiveTimestamp, OFF.receiveTimestamp + 8).every((b) => b === 0);
          const reply = await new Promise<Buffer | null>((res) => {
            const t = setTimeout(() => done(null), 1000);
            const done = (m: Buffer | null) => {
              clearTimeout(t);
              sock.off('message', done);
              res(m);
            };
            sock.on('message', done);
            sock.send(req, r.port, '127.0.0.1');
            // After a short one, a marked control packet: its reply coming first shows the short one got none (loopback keeps order).
            if (req.length < STAMP_MIN_BYTES || reflection) sock.send(CONTROL, r.port, '127.0.0.1');
          });
          if (req.length < STAMP_MIN_BYTES || reflection) {
            expect(reply?.subarray(OFF.senderSeq, OFF.senderSeq + 14).equals(CONTROL.subarray(0, 14))).toBe(true);
            return;
          }
          expect(reply).not.toBeNull();
          const m = reply as Buffer;
          expect(m.length).toBe(req.length);
          expect(m.subarray(OFF.senderSeq, OFF.senderSeq + 14).equals(req.subarray(0, 14))).toBe(true); // seq, timestamp, error estimate
          expect(m.readUInt32BE(OFF.seq)).toBe(req.readUInt32BE(0)); // stateless: the sender's number
          expect(m.readUInt16BE(OFF.ssid)).toBe(req.readUInt16BE(OFF.ssid));
          expect(m.subarray(44).every((b) => b === 0)).toBe(true); // padding zero whatever the request's
        }),
        { numRuns: 300 },
      );
    } finally {
      sock.close();
    }
  });
});
