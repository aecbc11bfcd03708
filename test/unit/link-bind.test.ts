/** The pure parts of binding to a link (issue 22): error codes, the tools' arguments, platforms that cannot. */
import { describe, expect, it } from 'vitest';
import { bindError, binder } from '../../src/core/native.js';
import { measurementCodeFor } from '../../src/core/errors.js';
import { pingCommand } from '../../src/net/ping.js';
import { runTrace, traceCommand, type TraceOptions } from '../../src/net/trace-run.js';

const errno = (code: string) => Object.assign(new Error(`SO_BINDTODEVICE ${code}`), { code });

describe('bindError: the OS refusal as a stable code', () => {
  it.each([
    ['ENODEV', 'INTERFACE_NOT_FOUND'],
    ['EPERM', 'INTERFACE_BIND_DENIED'],
    ['EACCES', 'INTERFACE_BIND_DENIED'],
    ['EINVAL', 'INTERFACE_BIND_UNAVAILABLE'],
    ['', 'INTERFACE_BIND_UNAVAILABLE'],
  ])('%s -> %s, naming the device', (code, want) => {
    const e = bindError('wwan1', errno(code));
    expect(e.code).toBe(want);
    expect(e.message).toContain('wwan1');
    // A record's error_code is the QosError's own (measurementCodeFor keeps it).
    expect(measurementCodeFor(e)).toBe(want);
  });

  it('ENODEV from any socket call maps to INTERFACE_NOT_FOUND', () => {
    expect(measurementCodeFor(errno('ENODEV'))).toBe('INTERFACE_NOT_FOUND');
  });
});

describe('binder: where binding is impossible, say so', () => {
  it.each(['darwin', 'win32', 'freebsd'] as const)('%s: INTERFACE_BIND_UNAVAILABLE', (os) => {
    expect(() => binder('en0', os)).toThrow(expect.objectContaining({ code: 'INTERFACE_BIND_UNAVAILABLE' }));
  });
  it('Linux without the addon: INTERFACE_BIND_UNAVAILABLE with the reason', () => {
    expect(() => binder('wwan0', 'linux', () => ({ addon: null, why: 'the native addon is not built (x)' }))).toThrow(/wwan0: the native addon is not built/);
  });
});

describe('tools bind by themselves, to the device', () => {
  const ping = { address: '10.77.1.2', family: 4 as const, count: 3, intervalMs: 200, timeoutMs: 1000, sizeBytes: 56 };
  it('ping -I <device> on Linux', () => {
    const { args } = pingCommand({ ...ping, bind: { device: 'wwan0' } }, 'linux');
    expect(args.join(' ')).toMatch(/-I wwan0/);
    expect(pingCommand(ping, 'linux').args).not.toContain('-I');
  });
  it.each(['darwin', 'win32'] as const)('ping over a link on %s: INTERFACE_BIND_UNAVAILABLE', (os) => {
    expect(() => pingCommand({ ...ping, bind: { device: 'en1' } }, os)).toThrow(expect.objectContaining({ code: 'INTERFACE_BIND_UNAVAILABLE' }));
  });
  const t: TraceOptions = { address: '10.77.1.2', family: 4, protocol: 'icmp', count: 3, intervalMs: 1000, timeoutMs: 1000, maxHops: 8, tool: 'auto', bind: { device: 'wwan1' } };
  it('traceroute -i <device>; mtr is refused over a link (its -I sets only the source address)', async () => {
    const tr = traceCommand(t, 'traceroute', 'linux', 1000).args;
    expect(tr[tr.indexOf('-i') + 1]).toBe('wwan1');
    await expect(runTrace({ ...t, tool: 'mtr', platform: 'linux' })).rejects.toMatchObject({ code: 'INTERFACE_BIND_UNAVAILABLE' });
    // The address stays last (traceroute's packet length after it, when given).
    expect(tr.at(-1)).toBe('10.77.1.2');
  });
});
