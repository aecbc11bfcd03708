/**
 * Binding to a link (issue 22) on this host's loopback: every socket of a bound test is bound to the device (the
 * kernel says so: SO_BINDTODEVICE read back), and a device that is not there is an error record with a stable code,
 * never a measurement over the default route. The two-uplink lab (test/netns/link-uplinks.test.ts) checks the route.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeUdp } from '../../src/core/native.js';
import { boundTcpSocket } from '../../src/net/bind.js';
import { createHttpClient } from '../../src/net/http-client.js';
import { icmp } from '../../src/probes/icmp.js';
import { stamp, type StampSpec } from '../../src/probes/stamp.js';
import { tcp, type TcpSpec } from '../../src/probes/tcp.js';
import { trace } from '../../src/probes/trace.js';
import { dns } from '../../src/probes/dns.js';
import { http } from '../../src/probes/http.js';
import { startStampReflector, type StampReflector } from '../../src/serve/stamp-reflector.js';
import { openSender } from '../../src/stamp/socket.js';
import { startTcpListener } from '../helpers/servers.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { ConfigReader } from '../../src/core/config-reader.js';

const NO_SUCH = 'qplnosuch0';
const native = nativeUdp();
const endpoint = { name: 'lo', host: '127.0.0.1' };
const signal = () => new AbortController().signal;

describe.skipIf(!native)('bound sockets on loopback (native addon built)', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  let reflector: StampReflector;
  let web: Server;
  let webPort = 0;
  beforeAll(async () => {
    listener = await startTcpListener();
    reflector = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: true, rateLimitPps: 10_000, log: () => {} });
    web = createServer((_q, s) => s.end('pong'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as { port: number }).port;
  });
  afterAll(async () => {
    await listener.close();
    await reflector.close();
    await new Promise((r) => web.close(r));
  });

  it('a bound TCP socket connects, and the kernel has it bound to the device', async () => {
    const sock = boundTcpSocket({ device: 'lo' }, 4);
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect({ host: '127.0.0.1', port: listener.port }, resolve);
      });
      const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
      expect(native!.deviceOf(fd)).toBe('lo');
    } finally {
      sock.destroy();
    }
  });

  it('a device that does not exist: INTERFACE_NOT_FOUND, before any packet', () => {
    expect(() => boundTcpSocket({ device: NO_SUCH }, 4)).toThrow(expect.objectContaining({ code: 'INTERFACE_NOT_FOUND' }));
    expect(() => native!.bindToDevice(-1, 'lo')).toThrow();
  });

  it('tcp over lo measures; over a missing device every attempt is INTERFACE_NOT_FOUND', async () => {
    const spec: TcpSpec = { kind: 'tcp', port: listener.port, count: 3, intervalMs: 20, timeoutMs: 500 };
    const ok = await tcp.run(endpoint, { ...spec, bind: { device: 'lo' } }, { signal: signal() });
    expect(ok.error).toBeNull();
    expect(ok.samples?.type === 'packets' && ok.samples.packets.every((p) => p.rttMs !== null)).toBe(true);
    const bad = await tcp.run(endpoint, { ...spec, bind: { device: NO_SUCH } }, { signal: signal() });
    expect(bad.error?.code).toBe('INTERFACE_NOT_FOUND');
    expect(bad.samples?.type === 'packets' && bad.samples.packets.every((p) => p.rttMs === null && p.errorCode === 'INTERFACE_NOT_FOUND')).toBe(true);
  });

  it('stamp over lo measures; over a missing device the sender is refused with INTERFACE_NOT_FOUND', async () => {
    const spec: StampSpec = { kind: 'stamp', port: reflector.port, count: 5, intervalMs: 10, timeoutMs: 500, sizeBytes: 44 };
    const ok = await stamp.run(endpoint, { ...spec, bind: { device: 'lo' } }, { signal: signal() });
    expect(ok.error ?? null).toBeNull();
    const bad = await stamp.run(endpoint, { ...spec, bind: { device: NO_SUCH } }, { signal: signal() });
    expect(bad.error?.code).toBe('INTERFACE_NOT_FOUND');
    await expect(openSender({ family: 4, address: '127.0.0.1', port: reflector.port, onPacket: () => {}, onError: () => {}, bind: { device: NO_SUCH } })).rejects.toMatchObject({
      code: 'INTERFACE_NOT_FOUND',
    });
  });

  it('the HTTP client over lo answers; over a missing device the request is INTERFACE_NOT_FOUND', async () => {
    const good = await createHttpClient({ bind: { device: 'lo' }, keepAliveTimeoutMs: 10 });
    const bad = await createHttpClient({ bind: { device: NO_SUCH }, keepAliveTimeoutMs: 10 });
    try {
      const r = await good.request(`http://127.0.0.1:${webPort}/ping`, { timeoutMs: 2000 });
      expect(r).toMatchObject({ status: 200, error: null, cold: true });
      const f = await bad.request(`http://127.0.0.1:${webPort}/ping`, { timeoutMs: 2000 });
      expect(f.error?.code).toBe('INTERFACE_NOT_FOUND');
      expect(f.status).toBeNull();
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it('http, icmp, trace over a missing device: an error record each, with the stable code', async () => {
    const base = { count: 2, intervalMs: 50, timeoutMs: 500, bind: { device: NO_SUCH } };
    const h = await http.run(endpoint, { ...http.parse({ port: webPort }, { kind: 'http', ...base }, reader(), 't'), bind: base.bind }, { signal: signal() });
    expect(h.error?.code).toBe('INTERFACE_NOT_FOUND');
    const i = await icmp.run(endpoint, { kind: 'icmp', size: 56, ...base }, { signal: signal() });
    expect(i.error?.code).toBe('INTERFACE_NOT_FOUND');
    const t = await trace.run(endpoint, { ...trace.parse({}, { kind: 'trace', ...base }, reader(), 't'), bind: base.bind }, { signal: signal() });
    expect(t.error?.code).toBe('INTERFACE_NOT_FOUND');
    const d = await dns.run(endpoint, { kind: 'dns', name: 'localhost', server: '127.0.0.1', record: 'A', nocache: false, ...base }, { signal: signal() });
    expect(d.error?.code).toBe('INTERFACE_NOT_FOUND');
  });

  it('dns over lo: bound queries to the server answer, time and fail as unbound ones do', async () => {
    const server = await startDnsServer({ zone: 'qpl.test', address: '10.77.200.9', delayMs: 20 });
    try {
      const spec = { kind: 'dns' as const, count: 3, intervalMs: 30, timeoutMs: 1000, record: 'A' as const, nocache: false, server: `127.0.0.1:${server.port}`, bind: { device: 'lo' } };
      const ok = await dns.run(endpoint, { ...spec, name: 'www.qpl.test' }, { signal: signal() });
      expect(ok.error).toBeNull();
      expect(ok.targetIp).toBe('10.77.200.9');
      const rtts = ok.samples?.type === 'dns' ? ok.samples.queries.map((q) => q.rttMs) : [];
      // The server holds each answer 20 ms: each query's time is at least that, and not seconds.
      expect(rtts).toHaveLength(3);
      for (const r of rtts) expect(r).toBeGreaterThanOrEqual(19);
      for (const r of rtts) expect(r).toBeLessThan(500);
      const nx = await dns.run(endpoint, { ...spec, name: 'nx.qpl.test' }, { signal: signal() });
      expect(nx.error?.code).toBe('DNS_FAILED');
      const nocache = await dns.run(endpoint, { ...spec, name: 'qpl.test', nocache: true }, { signal: signal() });
      expect(nocache.error).toBeNull();
      expect(server.names.some((n) => /^[a-z2-7]{12}\.qpl\.test$/.test(n))).toBe(true);
    } finally {
      await server.close();
    }
  });
});

const reader = () => new ConfigReader('test.yaml');
