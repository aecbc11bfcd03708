import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket, type Server } from 'node:net';

/** A TCP listener on 127.0.0.1 that accepts and closes: the handshake is what tcp measures. */
export async function startTcpListener(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A port on 127.0.0.1 with nothing listening (bound then released): connecting is refused. */
export async function refusedPort(): Promise<number> {
  const l = await startTcpListener();
  await l.close();
  return l.port;
}

/**
 * A listener that never answers a handshake: a socket that listens with backlog 0 and never
 * accepts. Once one connection fills its accept queue, Linux drops further SYNs, so a
 * connect() times out, as it would behind a firewall that drops packets. Node always
 * accepts, so the listener is a tiny python3 process. Returns null when python3 is missing.
 */
export async function startBlackholeListener(): Promise<{ port: number; close(): Promise<void> } | null> {
  const code = [
    'import socket,sys,time',
    's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)',
    'print(s.getsockname()[1]); sys.stdout.flush()',
    'time.sleep(600)', // bounded: it ends by itself should the test die without killing it
  ].join('\n');
  let child: ChildProcess;
  try {
    child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  const port = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  if (!port) return null;
  // Fill the accept queue (backlog 0 → 1 slot); these sockets stay open until close(). Full once one of them has
  // connected: Linux then drops every further SYN (the other filler's too).
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = new Socket();
    s.on('error', () => {});
    s.connect(port, '127.0.0.1');
    fillers.push(s);
  }
  await Promise.race(fillers.map((s) => new Promise<void>((r) => s.once('connect', () => r()))));
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}
