// PLACEHOLDER written by the STAMP/serve engineer (issue 3) so that src/serve/server.ts compiles
// and `qosprobe serve` / `qosprobe demo` run. The HTTP engineer owns this file and replaces it
// with the real endpoints (/ping, /down, /up, /health, caps, timeouts). Keep the interface.
import { createServer } from 'node:http';

export interface HttpServeOptions {
  host: string;
  port: number;
  maxBytes: number;
  maxConcurrent: number;
  token: string | null;
  log: (line: string) => void;
}

export async function startHttpServer(o: HttpServeOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (o.token !== null && req.headers.authorization !== `Bearer ${o.token}`) {
      res.writeHead(401).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    else if (req.method === 'GET' && path === '/ping') res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
    else res.writeHead(404).end();
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
