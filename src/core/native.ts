/**
 * The native addon (native/udp_ts.c): kernel receive timestamps (SO_TIMESTAMPNS) and send times taken right
 * before the system call, for STAMP on Linux (issue 9: Node's dgram can only time a datagram in JavaScript, after
 * the event loop woke up); and binding a socket to a network interface (SO_BINDTODEVICE, issue 22), which Node
 * cannot set. In core/ because net/ (bound TCP and DNS sockets), serve/ and stamp/ use it. Built by `npm install` where a
 * C compiler is (scripts/build-native.mjs); where it is not
 * (Windows, macOS, no compiler) or it is turned off (setNativeUdpMode: the CLI does for QOSPROBE_NATIVE=0), this
 * is null and callers use node:dgram.
 */
import { createRequire } from 'node:module';
import { platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { QosError, errorMessage } from './errors.js';
import { packageFile } from './package-root.js';

/** Opaque socket handle of the addon. */
export type NativeHandle = { readonly __native: unique symbol };

export interface NativeUdp {
  /** device: SO_BINDTODEVICE to this interface before bind (issue 22); absent or '': none. */
  open(family: 4 | 6, host: string, port: number, ipv6Only: boolean, device?: string): { handle: NativeHandle; address: string; port: number };
  connect(h: NativeHandle, host: string, port: number): void;
  /**
   * onPacket gets the datagram in buf (length −1: cut) and its arrival, monotonic − monoMinusCallerMs; it returns the
   * length of a reply written over buf (0: none), whose send time goes at replyTsOffset (−1: none).
   */
  start(
    h: NativeHandle,
    buf: Buffer,
    onPacket: (buf: Buffer, length: number, address: string, port: number, rxMs: number) => number,
    onError: (code: string, message: string) => void,
    replyTsOffset: number,
    wallMinusMonoMs: number,
    monoMinusCallerMs: number,
  ): void;
  /** Connected socket: sends buf[0, length), writing the send time at tsOffset (-1: none); the send time (monotonic ms). */
  send(h: NativeHandle, buf: Buffer, length: number, tsOffset: number, wallMinusMonoMs: number): number;
  /** Replies the kernel took since start (the reflector's replies are sent from C). */
  replies(h: NativeHandle): number;
  close(h: NativeHandle): void;
  monoNowMs(): number;
  /** SO_BINDTODEVICE on any socket fd; throws an Error whose code is the errno name (EPERM, ENODEV...). */
  bindToDevice(fd: number, device: string): void;
  /** A non-blocking TCP socket fd already bound to the device, for `new net.Socket({ fd })`; throws as bindToDevice. */
  tcpSocket(family: 4 | 6, device: string): number;
  /** The device a socket fd is bound to ('' when none), for tests. */
  deviceOf(fd: number): string;
  /** C's NTP writer (the one behind send times), for a test that holds it to stamp/ntp.ts. */
  ntpAt(buf: Buffer, offset: number, wallMs: number): void;
  /** Bytes the peer of TCP socket fd acknowledged (TCP_INFO tcpi_bytes_acked); −1 where unknown. */
  tcpBytesAcked?(fd: number): number;
}

/** Load the built addon (throws when it is not built); Node caches it, so both loaders below share one instance. */
const requireAddon = (): NativeUdp => createRequire(import.meta.url)(fileURLToPath(packageFile('native/build/Release/qosprobe_udp.node'))) as NativeUdp;

let loaded: NativeUdp | null | undefined;
let loadError: string | null = null;

/** The addon, or null (not Linux, not built, QOSPROBE_NATIVE=0); why not: nativeUdpUnavailable(). */
export function nativeUdp(): NativeUdp | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (platform() !== 'linux') loadError = `kernel timestamps are read on Linux only (this is ${platform()})`;
  else {
    try {
      loaded = requireAddon();
    } catch (err) {
      loadError = `not built (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); \`npm rebuild qosprobe\` or \`node scripts/build-native.mjs\` builds it`;
    }
  }
  return loaded;
}

/** Why nativeUdp() is null (null when it is not). */
export function nativeUdpUnavailable(): string | null {
  nativeUdp();
  return loadError;
}

/** 'off': nativeUdp() is null from now on, `why` saying so (QOSPROBE_NATIVE=0, tests); 'auto': loaded again when available. */
export function setNativeUdpMode(mode: 'auto' | 'off', why = 'turned off'): void {
  loaded = mode === 'off' ? null : undefined;
  loadError = mode === 'off' ? why : null;
}

// ---------------------------------------------------------------- binding to a link (issue 22)

/** The OS's refusal as our code: ENODEV a missing interface, EPERM/EACCES no privilege, anything else as it came. */
export function bindError(device: string, err: unknown): QosError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ENODEV') return new QosError('INTERFACE_NOT_FOUND', `no interface ${device} on this host`, { cause: err });
  if (code === 'EPERM' || code === 'EACCES')
    return new QosError('INTERFACE_BIND_DENIED', `binding to ${device} was refused (${code}): it needs root or CAP_NET_RAW`, { cause: err });
  return new QosError('INTERFACE_BIND_UNAVAILABLE', `cannot bind to ${device}: ${errorMessage(err)}`, { cause: err });
}

let forBinding: { addon: NativeUdp | null; why: string | null } | undefined;

/**
 * The addon for binding, whatever setNativeUdpMode says: QOSPROBE_NATIVE=0 turns off kernel timestamps for STAMP, not
 * the only way to pick a link.
 */
function bindingAddon(): { addon: NativeUdp | null; why: string | null } {
  if (forBinding) return forBinding;
  try {
    forBinding = { addon: requireAddon(), why: null };
  } catch (err) {
    forBinding = { addon: null, why: `the native addon is not built (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); \`npm rebuild qosprobe\` builds it` };
  }
  return forBinding;
}

/** The addon that binds, or INTERFACE_BIND_UNAVAILABLE saying why not. */
export function binder(device: string, os: NodeJS.Platform = platform(), load: typeof bindingAddon = bindingAddon): NativeUdp {
  const { addon, why } = os === 'linux' ? load() : { addon: null, why: `binding to an interface is implemented on Linux only (this is ${os})` };
  if (addon) return addon;
  throw new QosError('INTERFACE_BIND_UNAVAILABLE', `cannot measure over ${device}: ${why ?? 'unknown reason'}`);
}
