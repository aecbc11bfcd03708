/**
 * Readiness of TCP connections to a server in this process, as events instead of guessed sleeps (issue 21).
 */
import type { Socket } from 'node:net';

/** Every socket's TCP handshake done: the server accepts in that order, so a connection opened after them comes after them. */
export function connected(socks: readonly Socket[]): Promise<void[]> {
  return Promise.all(socks.map((c) => (c.connecting ? new Promise<void>((r) => c.once('connect', () => r())) : Promise.resolve())));
}

/**
 * Ends each socket and waits for its close, which comes after the server's end of it when the server runs in this
 * process: one event loop serves both, and the server closes its side (its close event: a slot given back) before
 * this side reads the server's FIN.
 */
export function ended(socks: readonly Socket[]): Promise<void[]> {
  return Promise.all(
    socks.map((c) =>
      c.closed
        ? Promise.resolve()
        : new Promise<void>((r) => {
            c.once('close', () => r());
            c.end();
          }),
    ),
  );
}
