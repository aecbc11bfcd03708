/**
 * The kernel's handshake timing (src/probes/kernel-rtt.ts): `ss -ti` parsed, batches read with one `ss` call, and
 * the probe's fallback to its own timing when the kernel can't be read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { Socket, createServer } from 'node:net';
import { connectionKey, createKernelRttReader, parseSsRtts } from '../../src/probes/kernel-rtt.js';
import { tcp } from '../../src/probes/tcp.js';
import { buildRecord } from '../../src/records/assemble.js';
import { ctx } from '../helpers/records.js';
import { startTcpListener } from '../helpers/servers.js';

// Real `ss -tinHO dport = :8080` lines (iproute2 6.1), one with a retransmitted SYN.
const SS = [
  'ESTAB 0      0      10.77.55.2:43108 10.77.56.1:8080 bbr wscale:10,10 rto:228 rtt:20.266/10.133 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 minrtt:20.266',
  'ESTAB 0      0      10.77.55.2:43116 10.77.56.1:8080 bbr wscale:10,10 rto:228 rtt:20.64/10.32 mss:1448 pmtu:1500 segs_out:2 segs_in:1 minrtt:20.64',
  'ESTAB 0      0      10.77.55.2:43126 10.77.56.1:8080 cubic wscale:7,7 rto:1020 rtt:20.2/10.1 retrans:0/1 segs_out:3 segs_in:1',
  'CLOSE-WAIT 1      0      [::ffff:127.0.0.1]:50000 [::ffff:127.0.0.1]:8080 cubic rtt:0.05/0.025 segs_out:2',
  'ESTAB 0      0      10.77.55.2:43130 10.77.56.1:8080 cubic rtt:0/0',
  'garbage line without fields',
  '',
].join('\n');

describe('parseSsRtts', () => {
  it('reads the handshake RTT by peer and local port, skipping a retransmitted SYN and zero samples', () => {
    expect([...parseSsRtts(SS)]).toEqual([
      ['10.77.56.1#43108', 20.266],
      ['10.77.56.1#43116', 20.64],
      ['127.0.0.1#50000', 0.05],
    ]);
  });

  it('names a connection as Node does: brackets, the IPv4-mapped prefix and a zone dropped', () => {
    expect(connectionKey('[::ffff:127.0.0.1]', 5)).toBe('127.0.0.1#5');
    expect(connectionKey('::ffff:127.0.0.1', 5)).toBe('127.0.0.1#5');
    expect(connectionKey('[fe80::1%eth0]', 5)).toBe('fe80::1#5');
    expect(connectionKey('[::1]', 5)).toBe('::1#5');
    expect(connectionKey('10.77.56.1', 5)).toBe('10.77.56.1#5');
  });

  it('another program\'s connection elsewhere from the same local port is not taken for ours', () => {
    const text = 'ESTAB 0 0 10.77.55.2:40000 10.77.99.1:8080 cubic rtt:99/1\nESTAB 0 0 10.77.55.2:40000 10.77.56.1:8080 cubic rtt:20/1';
    expect(parseSsRtts(text).get(connectionKey('10.77.56.1', 40000))).toBe(20);
  });
  it('property: any ss line it is given comes back by its local port, whatever surrounds it', () => {
    const row = fc.record({
      state: fc.constantFrom('ESTAB', 'CLOSE-WAIT', 'FIN-WAIT-1'),
      port: fc.integer({ min: 1, max: 65535 }),
      rttUs: fc.integer({ min: 1, max: 10_000_000 }),
      retrans: fc.nat(3),
      extra: fc.stringMatching(/^[a-z_:0-9./ ]{0,40}$/),
    });
    fc.assert(
      fc.property(fc.uniqueArray(row, { selector: (r) => r.port, maxLength: 20 }), (rows) => {
        const text = rows
          .map((r) => `${r.state} 0 0 10.77.55.2:${r.port} 10.77.56.1:8080 cubic ${r.extra.replace(/rtt:|retrans:/g, '')} rtt:${r.rttUs / 1000}/1 ${r.retrans ? `retrans:0/${r.retrans}` : ''}`)
          .join('\n');
        const got = parseSsRtts(text);
        expect([...got.keys()].sort()).toEqual(rows.filter((r) => r.retrans === 0).map((r) => connectionKey('10.77.56.1', r.port)).sort());
        for (const r of rows) if (r.retrans === 0) expect(got.get(connectionKey('10.77.56.1', r.port))).toBe(r.rttUs / 1000);
      }),
    );
  });

  it('property: arbitrary text never throws and yields only ports 1–65535 with positive RTTs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (t) => {
        for (const [key, ms] of parseSsRtts(t)) {
          const port = Number(key.slice(key.lastIndexOf('#') + 1));
          expect(Number.isInteger(port) && port >= 1 && port <= 65535).toBe(true);
          expect(ms).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('hostile input: never throws, never invents a port', () => {
    for (const s of ['', '\n\n', 'rtt:1/1', 'ESTAB 0 0 a:99999 b:1 rtt:1/1', 'ESTAB 0 0 a:0 b:1 rtt:1/1', 'ESTAB x y a:1 b:2 rtt:NaN/1', 'ESTAB 0 0 a:b c:d rtt:1/1', 'ESTAB 0 0 :1 :2 rtt:-3/1']) expect(parseSsRtts(s).size).toBe(0);
  });
});

async function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    s.once('error', reject);
    s.connect(port, '127.0.0.1', () => resolve(s));
  });
}

describe('createKernelRttReader', () => {
  it('reads a batch with one ss call, resolves each socket by its local port, and closes them', async () => {
    const server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      const socks = [await connected(port), await connected(port), await connected(port)];
      const calls: string[][] = [];
      const ss = async (args: string[]) => {
        calls.push(args);
        return socks.map((s, i) => `ESTAB 0 0 127.0.0.1:${s.localPort} 127.0.0.1:${port} cubic rtt:${i + 1}.5/1`).join('\n');
      };
      const reader = createKernelRttReader({ remotePort: port, flushAfterMs: 20, ss, platform: 'linux' });
      const rtts = await Promise.all(socks.map((s) => reader.read(s)));
      expect(rtts).toEqual([1.5, 2.5, 3.5]);
      expect(calls).toEqual([['-tinHO', 'dport', '=', `:${port}`]]);
      expect(socks.every((s) => s.destroyed)).toBe(true);
      await reader.close();
    } finally {
      server.close();
    }
  });

  it('no ss (or not Linux): null at once, sockets closed, ss not tried again', async () => {
    const server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      let calls = 0;
      const reader = createKernelRttReader({ remotePort: port, flushAfterMs: 5, ss: async () => (calls++, null), platform: 'linux' });
      const a = await connected(port);
      expect(await reader.read(a)).toBeNull();
      const b = await connected(port);
      expect(await reader.read(b)).toBeNull();
      expect(calls).toBe(1);
      expect(a.destroyed && b.destroyed).toBe(true);
      const other = createKernelRttReader({ remotePort: port, ss: async () => (calls++, ''), platform: 'win32' });
      const c = await connected(port);
      expect(await other.read(c)).toBeNull();
      expect(calls).toBe(1);
    } finally {
      server.close();
    }
  });
});

let ssMissing = process.platform !== 'linux';
try {
  execFileSync('ss', ['-V'], { stdio: 'ignore' });
} catch {
  ssMissing = true;
}

describe('tcp probe: kernel timing', () => {
  it.skipIf(ssMissing)('on Linux with ss, every RTT is the kernel\'s, and the record says so', async () => {
    const listener = await startTcpListener();
    try {
      const out = await tcp.run({ name: 'lo', host: '127.0.0.1' }, { kind: 'tcp', port: listener.port, count: 5, intervalMs: 20, timeoutMs: 500 }, { signal: new AbortController().signal });
      const r = buildRecord(ctx, { endpoint: 'lo', test: 'tcp', startedAt: new Date(), durationMs: 0, intervalMs: 20, timeoutMs: 500 }, out);
      expect(r).toMatchObject({ status: 'ok', received: 5, rtt_timestamping: 'kernel' });
      // Loopback: the kernel's figure is tens of µs, never 0 (a sample of 0 is dropped as unknown).
      expect(r.rtt_min_ms).toBeGreaterThan(0);
      expect(r.rtt_max_ms).toBeLessThan(5);
    } finally {
      await listener.close();
    }
  });
});
