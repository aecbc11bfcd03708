/**
 * The demo's loopback targets, started in-process, and the suite run against them.
 * Every probe kind joins the suite as it lands.
 */
import { createServer, type Server } from 'node:net';
import type { Config, EndpointConfig } from '../config/types.js';
import type { BaseSpec } from '../probes/types.js';
import type { StampSpec } from '../probes/stamp.js';
import type { HttpSpec } from '../probes/http.js';
import type { TransferSpec } from '../probes/transfer.js';
import { SERVE_DEFAULTS, startServe } from '../serve/server.js';

export interface DemoTargets {
  endpoints(base: Config): EndpointConfig[];
  /** HTTP endpoints of the in-process `serve` (/ping, /down, /up, /health) on 127.0.0.1. */
  httpPort: number;
  /** Its STAMP reflector (stateful) on 127.0.0.1. */
  stampPort: number;
  close(): Promise<void>;
}

export async function startDemoTargets(): Promise<DemoTargets> {
  const tcpServer: Server = createServer((sock) => sock.end());
  await new Promise<void>((resolve, reject) => {
    tcpServer.once('error', reject);
    tcpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = tcpServer.address();
  const tcpPort = typeof addr === 'object' && addr ? addr.port : 0;
  // The same server `qosprobe serve` runs, quiet, on loopback ports the kernel picks.
  const serve = await startServe({
    ...SERVE_DEFAULTS,
    host: '127.0.0.1',
    stampPort: 0,
    httpPort: 0,
    stateful: true,
    token: null,
    log: () => {},
  }).catch(async (err: unknown) => {
    await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    throw err;
  });
  return {
    endpoints(base) {
      const d = base.defaults;
      const short = { count: Math.min(d.count, 10), intervalMs: Math.min(d.intervalMs, 200), timeoutMs: Math.min(d.timeoutMs, 2000) };
      const stampTest: StampSpec = { kind: 'stamp', ...short, port: serve.stampPort, sizeBytes: 44, stateful: true };
      const httpTest: HttpSpec = { kind: 'http', ...short, url: '/ping', port: serve.httpPort, expectStatus: '2xx', caFile: null, insecure: false, maxRedirects: 5 };
      const tests: BaseSpec[] = [
        { kind: 'icmp', ...short, size: 56 } as BaseSpec,
        { kind: 'tcp', ...short, port: tcpPort } as BaseSpec,
        stampTest,
        httpTest,
        ...(['download', 'upload'] as const).map(
          (kind): TransferSpec => ({
            kind,
            count: 1,
            intervalMs: short.intervalMs,
            timeoutMs: short.timeoutMs,
            url: kind === 'download' ? '/down?bytes={bytes}' : '/up',
            port: serve.httpPort,
            // Short: a demo, not a measurement campaign; 2 s keeps 1.6 s after the 0.4 s warm-up.
            durationS: 2,
            streams: 2,
            warmupS: 0.4,
            bytes: 100_000_000,
            pingUrl: null,
            caFile: null,
            insecure: false,
          }),
        ),
      ];
      return [{ name: 'demo-loopback', host: '127.0.0.1', tests }];
    },
    httpPort: serve.httpPort,
    stampPort: serve.stampPort,
    close: async () => {
      await Promise.all([new Promise<void>((resolve) => tcpServer.close(() => resolve())), serve.close()]);
    },
  };
}
