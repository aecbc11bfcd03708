/**
 * `qosprobe demo`: loopback targets started in-process, the suite run against them through the run path
 * (app/run.ts), the targets closed. Every probe kind joins the suite as it lands.
 */
import { createServer, type Server } from 'node:net';
import type { Config, EndpointConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import { BUILTIN_DEFAULTS } from '../config/types.js';
import { SERVE_DEFAULTS, startServe } from '../serve/server.js';
import { runTests, type RunOptions, type RunReport } from './run.js';

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
      const d = { ...BUILTIN_DEFAULTS, ...base.defaults };
      // The demo suite goes through the same validation as a user's config: it can't drift from the probes.
      const suite = {
        defaults: { count: Math.min(d.count, 10), interval_ms: Math.min(d.intervalMs, 200), timeout_ms: Math.min(d.timeoutMs, 2000) },
        endpoints: [
          {
            name: 'demo-loopback',
            host: '127.0.0.1',
            tests: [
              'icmp',
              { kind: 'tcp', port: tcpPort },
              { kind: 'stamp', port: serve.stampPort, stateful: true },
              { kind: 'http', url: '/ping', port: serve.httpPort },
              // Short: a demo, not a measurement campaign; 2 s keeps 1.6 s after the 0.4 s warm-up.
              { kind: 'download', port: serve.httpPort, duration_s: 2, streams: 2, warmup_s: 0.4 },
              { kind: 'upload', port: serve.httpPort, duration_s: 2, streams: 2, warmup_s: 0.4 },
            ],
          },
        ],
      };
      return validateConfig(suite, 'demo suite').endpoints;
    },
    httpPort: serve.httpPort,
    stampPort: serve.stampPort,
    close: async () => {
      await Promise.all([new Promise<void>((resolve) => tcpServer.close(() => resolve())), serve.close()]);
    },
  };
}

/**
 * Run the demo suite against targets it starts and closes: the config gives the probe id, location and defaults,
 * the demo its endpoints. It measures only those loopback targets: never a packet to the real default gateway (issue 25).
 */
export async function runDemo(options: Omit<RunOptions, 'requireLocation' | 'unattended'>): Promise<RunReport> {
  const targets = await startDemoTargets();
  try {
    return await runTests({
      ...options,
      config: { ...options.config, endpoints: targets.endpoints(options.config) },
      flags: { ...options.flags, gatewayPing: false },
      requireLocation: false,
    });
  } finally {
    await targets.close();
  }
}
