/**
 * Hostile input against `qosprobe serve` run as its own process (the built CLI): after each class
 * of input the server must still be running and answer a legitimate /ping and a STAMP probe
 * within HEALTHY_MS (issue 10: one request target used to end the process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCliAvailable } from '../helpers/cli.js';
import { pingStatus, rawHttp, stampProbe, startServeChild, type ServeChild } from '../helpers/serve-child.js';

/** What a legitimate client is promised after any hostile input: an answer within this. */
const HEALTHY_MS = 1000;

const built = builtCliAvailable();
let s: ServeChild;
beforeAll(async () => {
  if (built) s = await startServeChild(['--token', 'hostile-test-token']);
});
afterAll(async () => {
  await s?.stop();
});

async function expectHealthy(): Promise<void> {
  expect(s.exited(), s.stderr()).toBeNull();
  // /ping without the token is 401: an answer is what matters here.
  expect(await pingStatus(s.httpPort, HEALTHY_MS)).toBe(401);
  expect(await stampProbe(s.stampPort, '127.0.0.1', HEALTHY_MS)).toBe(44);
}

const req = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;

describe.skipIf(!built)('serve survives hostile HTTP request targets (needs dist/: npx tsc)', () => {
  const targets = [
    '//[',
    'http://[',
    '//x:99999/',
    '//%',
    '//%zz/ping',
    'http://x:99999/ping',
    'http://[::1/ping',
    '*',
    'http://127.0.0.1/ping',
    'https://x/health',
    'ftp://x/',
    'javascript:alert(1)',
    '/%',
    '/%00',
    '/..%2f..%2fetc/passwd',
    '/ping?%',
    '/down?bytes=%',
    '/up-stats?id=%ff%fe',
    '/' + 'a'.repeat(16_000),
    '//' + 'b'.repeat(8_000),
    '/\u00ff\u00fe',
    'x',
    '?',
    '#',
    '/ping#frag',
    '//user:pass@x/ping',
  ];
  it.each(targets.map((t) => [t.length > 40 ? `${t.slice(0, 20)}… (${t.length} chars)` : t, t]))('%s', async (_name, target) => {
    const text = await rawHttp(s.httpPort, Buffer.from(req(target), 'latin1'));
    // Some answer (401 before the token check passes, 400/404/414/431 for bad targets), never a dead server.
    expect(text).toMatch(/^HTTP\/1\.1 [1-5]\d\d /);
    await expectHealthy();
  });

  it('answers 400 to a target it cannot parse, with the token', async () => {
    for (const target of ['//[', 'http://[', 'http://x:99999/ping', '//%', '/%zz', '/ping?%', '*', 'ftp://x/', 'x', '/\u00ff']) {
      const text = await rawHttp(s.httpPort, req(target, 'Authorization: Bearer hostile-test-token\r\n'));
      expect(text, target).toMatch(/^HTTP\/1\.1 400 /);
    }
    await expectHealthy();
  });

  it('serves an absolute-form target like its origin-form path (RFC 9112 §3.2.2)', async () => {
    const text = await rawHttp(s.httpPort, req('http://127.0.0.1/ping', 'Authorization: Bearer hostile-test-token\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 200 [\s\S]*pong$/);
    // A path that starts with // is a path, not a host.
    for (const target of ['//ping', '//x:99999/']) {
      expect(await rawHttp(s.httpPort, req(target, 'Authorization: Bearer hostile-test-token\r\n')), target).toMatch(/^HTTP\/1\.1 404 /);
    }
  });
});

describe.skipIf(!built)('serve survives hostile HTTP headers, bodies and request lines', () => {
  const auth = 'Authorization: Bearer hostile-test-token\r\n';
  const cases: [string, string | Buffer][] = [
    ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff))],
    ['HTTP/0.9 request line', 'GET /ping\r\n\r\n'],
    ['unknown version', 'GET /ping HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['no method', ' /ping HTTP/1.1\r\n\r\n'],
    ['odd method', 'BREW /ping HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['header overflow (100 KB)', `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`],
    ['10 000 headers', `GET /ping HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(10_000)}\r\n`],
    ['header without colon', 'GET /ping HTTP/1.1\r\nHost x\r\n\r\n'],
    ['control character in a header', 'GET /ping HTTP/1.1\r\nHost: x\r\nX-A: \x01\x7f\r\n\r\n'],
    ['bare LF line ends', 'GET /ping HTTP/1.1\nHost: x\n\n'],
    ['two content-lengths', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello`],
    ['content-length and chunked', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
    ['negative content-length', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: -1\r\n\r\n`],
    ['huge content-length', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 99999999999999999999999\r\n\r\nabc`],
    ['bad chunk size', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n`],
    ['chunk size overflow', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n`],
    ['body on /ping', `POST /ping HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 3\r\n\r\nabc`],
    ['upload id with bad characters', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}x-qosprobe-upload-id: ../../\x00\r\nx-qosprobe-offset-ms: 1\r\nContent-Length: 1\r\n\r\na`],
    ['offset not a number', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}x-qosprobe-upload-id: abcdefgh12\r\nx-qosprobe-offset-ms: 1e400\r\nContent-Length: 1\r\n\r\na`],
    ['offset huge', `POST /up HTTP/1.1\r\nHost: x\r\n${auth}x-qosprobe-upload-id: abcdefgh12\r\nx-qosprobe-offset-ms: ${'9'.repeat(400)}\r\nContent-Length: 1\r\n\r\na`],
    ['two tokens', `GET /ping HTTP/1.1\r\nHost: x\r\n${auth}${auth}\r\n`],
    ['token with non-ASCII bytes', 'GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\n\r\n'],
    ['pipelined flood of 1000 requests', `GET /ping HTTP/1.1\r\nHost: x\r\n${auth}\r\n`.repeat(1000)],
    ['upgrade request', 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
    ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'],
  ];
  it.each(cases)('%s', async (_name, bytes) => {
    await rawHttp(s.httpPort, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, 500);
    await expectHealthy();
  });
});

describe.skipIf(!built)('serve survives hostile STAMP datagrams', () => {
  it('datagrams of every size from 0 to 1500 bytes, and a few large ones, filled with 0x00, 0xff and random bytes', async () => {
    const { createSocket } = await import('node:dgram');
    const { randomBytes } = await import('node:crypto');
    const sock = createSocket('udp4');
    // Another source than the health probe's, so its rate-limit bucket is not the probe's.
    await new Promise<void>((r) => sock.bind(0, '127.0.0.2', () => r()));
    const sizes = [...Array.from({ length: 1501 }, (_, i) => i), 9000, 32_768, 65_507];
    for (const n of sizes) {
      for (const fill of [Buffer.alloc(n, 0), Buffer.alloc(n, 0xff), randomBytes(n)]) {
        await new Promise<void>((r) => sock.send(fill, s.stampPort, '127.0.0.1', () => r()));
      }
    }
    sock.close();
    await expectHealthy();
  });
});

describe.skipIf(!built)('serve survives many sources and slow senders', () => {
  it('STAMP from 200 loopback sources, each cycling SSIDs and sending junk', async () => {
    const { createSocket } = await import('node:dgram');
    const { randomBytes } = await import('node:crypto');
    const { encodeSenderPacket } = await import('../../src/stamp/packet.js');
    const socks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const sock = createSocket('udp4');
        sock.on('error', () => {});
        return new Promise<typeof sock>((r) => sock.bind(0, `127.3.0.${i + 1}`, () => r(sock)));
      }),
    );
    for (let round = 0; round < 20; round++) {
      for (const sock of socks) {
        const ssid = randomBytes(2).readUInt16BE(0);
        sock.send(encodeSenderPacket({ seq: round, timestamp: { seconds: 1, fraction: 2 }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid }), s.stampPort, '127.0.0.1');
        sock.send(randomBytes(round + 1), s.stampPort, '127.0.0.1');
      }
      await new Promise((r) => setTimeout(r, 20)); // pacing the rounds: a flood over time, not one burst
    }
    await expectHealthy();
    for (const sock of socks) sock.close();
  });

  it('30 slowloris connections and 10 trickling uploads, while a legitimate client is served', async () => {
    const { connect } = await import('node:net');
    const socks = Array.from({ length: 40 }, (_, i) => {
      const sock = connect(s.httpPort, '127.0.0.1');
      sock.on('error', () => {});
      sock.on('data', () => {});
      const head = i < 30 ? 'GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ' : 'POST /up HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hostile-test-token\r\nContent-Length: 1000000\r\n\r\n';
      sock.write(head);
      return sock;
    });
    const drip = setInterval(() => {
      for (const sock of socks) if (!sock.destroyed) sock.write('a');
    }, 100);
    try {
      for (let i = 0; i < 3; i++) {
        await expectHealthy();
        await new Promise((r) => setTimeout(r, 200)); // the gap is the test: served again while the trickle goes on
      }
    } finally {
      clearInterval(drip);
      for (const sock of socks) sock.destroy();
    }
    await expectHealthy();
  });
});
