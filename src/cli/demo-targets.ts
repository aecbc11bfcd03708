/**
 * The demo's loopback targets, started in-process, and the suite run against them.
 * Every probe kind joins the suite as it lands.
 */
import { createServer, type Server } from 'node:net';
import type { Config, EndpointConfig } from '../config/types.js';
import type { BaseSpec } from '../probes/types.js';

export interface DemoTargets {
  endpoints(base: Config): EndpointConfig[];
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
  return {
    endpoints(base) {
      const d = base.defaults;
      const short = { count: Math.min(d.count, 10), intervalMs: Math.min(d.intervalMs, 200), timeoutMs: Math.min(d.timeoutMs, 2000) };
      const tests: BaseSpec[] = [
        { kind: 'icmp', ...short, size: 56 } as BaseSpec,
        { kind: 'tcp', ...short, port: tcpPort } as BaseSpec,
      ];
      return [{ name: 'demo-loopback', host: '127.0.0.1', tests }];
    },
    close: () => new Promise<void>((resolve) => tcpServer.close(() => resolve())),
  };
}
