/**
 * The native UDP addon (native/udp_ts.c): kernel receive timestamps (SO_TIMESTAMPNS) and send times taken right
 * before the system call, for STAMP on Linux (issue 9: Node's dgram can only time a datagram in JavaScript, after
 * the event loop woke up). Built by `npm install` where a C compiler is (scripts/build-native.mjs); where it is not
 * (Windows, macOS, no compiler) or it is turned off (setNativeUdpMode: the CLI does for QOSPROBE_NATIVE=0), this
 * is null and callers use node:dgram.
 */
import { createRequire } from 'node:module';
import { platform } from 'node:os';

/** Opaque socket handle of the addon. */
export type NativeHandle = { readonly __native: unique symbol };

export interface NativeUdp {
  open(family: 4 | 6, host: string, port: number, ipv6Only: boolean): { handle: NativeHandle; address: string; port: number };
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
  /** C's NTP writer (the one behind send times), for a test that holds it to stamp/ntp.ts. */
  ntpAt(buf: Buffer, offset: number, wallMs: number): void;
}

let loaded: NativeUdp | null | undefined;
let loadError: string | null = null;

/** The addon, or null (not Linux, not built, QOSPROBE_NATIVE=0); why not: nativeUdpUnavailable(). */
export function nativeUdp(): NativeUdp | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (platform() !== 'linux') loadError = `kernel timestamps are read on Linux only (this is ${platform()})`;
  else {
    try {
      // dist/stamp/ and src/stamp/ are both two levels below the package root.
      loaded = createRequire(import.meta.url)('../../native/build/Release/qosprobe_udp.node') as NativeUdp;
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
