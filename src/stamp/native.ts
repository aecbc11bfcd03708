/** The native addon's loader lives in core/native.ts (net/ binds sockets to a link with it too); STAMP's name for it. */
export { nativeUdp, nativeUdpUnavailable, setNativeUdpMode, type NativeHandle, type NativeUdp } from '../core/native.js';
