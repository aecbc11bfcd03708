// Helpers shared by the benchmark scripts.
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (for tools that need a port number up front). */
export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
