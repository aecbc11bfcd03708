/**
 * Sockets bound to a link (issue 22): traffic for a link leaves through that device, not the default route. On Linux
 * that is SO_BINDTODEVICE (a source address alone is ignored by the route lookup without policy rules), which Node
 * cannot set: the native addon (core/native.ts) does. Where it cannot be done (not Linux, addon not built) or the OS
 * refuses (EPERM without CAP_NET_RAW on kernels before 5.7), callers get a QosError with a stable code, and the test
 * is an error record: never a silent measurement over the default route.
 */
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { bindError, binder } from '../core/native.js';
import type { LinkBind } from '../core/samples.js';

/** A TCP socket bound to the link, not yet connected: `connect()` it as any net.Socket. Throws a QosError (see bindError). */
export function boundTcpSocket(bind: LinkBind, family: 4 | 6, opts: { allowHalfOpen?: boolean } = {}): Socket {
  const n = binder(bind.device);
  let fd: number;
  try {
    fd = n.tcpSocket(family, bind.device);
  } catch (err) {
    throw bindError(bind.device, err);
  }
  // Node takes the fd over (libuv guesses TCP from SO_TYPE and the family) and closes it with the socket.
  return new Socket({ fd, allowHalfOpen: opts.allowHalfOpen ?? false, readable: true, writable: true });
}

/**
 * Before handing a link to a tool that binds by itself (`ping -I`, `traceroute -i`): the same check as our
 * own sockets (the interface exists, the OS lets us bind), so a missing link or a refusal is the same stable code
 * whatever measures, not a tool's exit status.
 */
export function assertBindable(bind: LinkBind): void {
  const n = binder(bind.device);
  let fd: number;
  try {
    fd = n.tcpSocket(4, bind.device);
  } catch (err) {
    throw bindError(bind.device, err);
  }
  closeSync(fd);
}
