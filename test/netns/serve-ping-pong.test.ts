/**
 * Issue 24, item 1: two reflectors bounced a datagram spoofed from one's port to the other until a rate-limit
 * bucket ran dry (47 spoofed packets → 9,750 exchanged). Two real `serve` processes on loopback, one spoofed
 * packet between them (a raw socket: root), native socket and the node:dgram fallback: at most one reply each.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startServeChild, type ServeChild } from '../helpers/serve-child.js';
import { builtCliAvailable } from '../helpers/cli.js';
import { encodeSenderPacket } from '../../src/stamp/packet.js';
import { sleep } from '../../src/core/sleep.js';

const isRoot = process.getuid?.() === 0;
const built = builtCliAvailable();
const children: ServeChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.stop();
});

/** Datagrams from 127.0.0.1:fromPort to 127.0.0.1:toPort, IPv4 + UDP headers by hand (UDP checksum 0 = none, allowed over IPv4). */
function spoof(fromPort: number, toPort: number, payloads: Buffer[]): void {
  const py = `
import socket, struct, sys
src, dst = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for hexed in sys.argv[3:]:
    payload = bytes.fromhex(hexed)
    udp = struct.pack('!HHHH', src, dst, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton('127.0.0.1'), socket.inet_aton('127.0.0.1'))
    s.sendto(ip + udp, ('127.0.0.1', 0))
`;
  execFileSync('python3', ['-c', py, String(fromPort), String(toPort), ...payloads.map((p) => p.toString('hex'))]);
}

/** The reflector's totals from its closing log line. */
function totals(c: ServeChild): Record<string, number> {
  const line = /stamp: closed: (.*)/.exec(c.stderr())?.[1] ?? '';
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

const packet = (seq: number, size: number) =>
  encodeSenderPacket({ seq, timestamp: { seconds: 0xe9000000, fraction: seq }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid: 7 }, size);

describe.skipIf(!isRoot || !built)('two serve reflectors and a datagram spoofed between them (root: raw socket)', () => {
  it.each([
    ['native socket', {}],
    ['node:dgram fallback', { QOSPROBE_NATIVE: '0' }],
  ])('%s: one reply each, never a ping-pong', async (_name, env: NodeJS.ProcessEnv) => {
    const a = await startServeChild(['--rate-limit', '1000'], 10_000, env);
    children.push(a);
    const b = await startServeChild(['--rate-limit', '1000'], 10_000, env);
    children.push(b);
    expect(a.stderr()).toContain(env.QOSPROBE_NATIVE === '0' ? 'JavaScript timestamps' : 'kernel timestamps');
    // As if b had sent them to a: 3 of 44 bytes and 1 of 1400 (the 44-byte packet bounced 180 times).
    spoof(b.stampPort, a.stampPort, [packet(1, 44), packet(2, 44), packet(3, 44), packet(4, 1400)]);
    await sleep(500); // the gap is the test: time for a ping-pong to build up (the bounced 180 times)
    await a.stop();
    await b.stop();
    const ta = totals(a);
    const tb = totals(b);
    expect(ta).toMatchObject({ received: 4, reflected: 4, reflections: 0 });
    expect(tb).toMatchObject({ received: 4, reflected: 0, reflections: 4 });
  });
});
