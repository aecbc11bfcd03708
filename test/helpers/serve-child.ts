import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { BIN, ROOT } from './cli.js';
import { encodeSenderPacket } from '../../src/stamp/packet.js';

/**
 * `qosprobe serve` as its own process (the built CLI), on loopback with free ports: a hostile
 * input that ends the process shows as `exited`, which an in-process server could not show.
 */
export interface ServeChild {
  child: ChildProcess;
  stampPort: number;
  httpPort: number;
  stderr(): string;
  /** Exit code or signal once the process has ended; null while it runs. */
  exited(): string | null;
  stop(): Promise<void>;
}

export async function startServeChild(args: string[] = [], timeoutMs = 10_000, env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--stamp-port', '0', '--http-port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let exit: string | null = null;
  child.stderr?.on('data', (d: Buffer) => {
    // Keep the head and the tail: enough to show the start line and a crash's stack.
    err = (err + d.toString()).slice(-200_000);
  });
  const ended = new Promise<void>((r) =>
    child.on('exit', (code, signal) => {
      exit = `code=${code} signal=${signal}`;
      r();
    }),
  );
  // Ready when its start line (both ports) is on stderr; or it exited; the timeout only ends a hung start.
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(t);
      child.stderr?.off('data', check);
      resolve();
    }
    function check() {
      if (/HTTP tcp\/\d+/.test(err)) done();
    }
    child.stderr?.on('data', check);
    void ended.then(done);
    check();
  });
  const stampPort = Number(/STAMP udp\/(\d+)/.exec(err)?.[1]);
  const httpPort = Number(/HTTP tcp\/(\d+)/.exec(err)?.[1]);
  if (!stampPort || !httpPort) {
    child.kill('SIGKILL');
    throw new Error(`serve did not start: ${exit ?? 'timeout'}\n${err}`);
  }
  return {
    child,
    stampPort,
    httpPort,
    stderr: () => err,
    exited: () => exit,
    async stop() {
      if (exit === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await ended;
        clearTimeout(t);
      }
    },
  };
}

/** Raw bytes to the HTTP port; resolves with whatever came back before the server closed or timeoutMs passed. */
export function rawHttp(port: number, bytes: Buffer | string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(got);
    };
    const t = setTimeout(done, timeoutMs);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // One response is enough: its headers and (short) body.
      if (/\r\n\r\n/.test(got) && got.length > 0 && /content-length: 0|\r\n\r\n[\s\S]+/i.test(got)) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
  });
}

/** GET /ping over a fresh connection; resolves with the status or null (no answer within timeoutMs). */
export async function pingStatus(port: number, timeoutMs = 1000): Promise<number | null> {
  const text = await rawHttp(port, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', timeoutMs);
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/** One STAMP probe packet from `fromAddress`; resolves with the reply's size, or null after timeoutMs. */
export function stampProbe(port: number, fromAddress = '127.0.0.1', timeoutMs = 1000, ssid = 7): Promise<number | null> {
  return new Promise((resolve) => {
    const sock: UdpSocket = createSocket('udp4');
    const done = (v: number | null) => {
      clearTimeout(t);
      sock.close();
      resolve(v);
    };
    const t = setTimeout(() => done(null), timeoutMs);
    sock.on('message', (m) => done(m.length));
    sock.on('error', () => done(null));
    sock.bind(0, fromAddress, () => {
      const p = encodeSenderPacket({ seq: 1, timestamp: { seconds: 0xe9000000, fraction: 1 }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid });
      sock.send(p, port, '127.0.0.1');
    });
  });
}
