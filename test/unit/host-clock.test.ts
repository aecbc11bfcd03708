import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherClock, parseChronyTracking, parseSntp, parseTimedatectlShow, parseTimesyncStatus, parseW32tm } from '../../src/host/clock.js';
import { gatherHostInfo, type SiLike } from '../../src/host/host-info.js';

const fx = (n: string) => readFileSync(join(import.meta.dirname, '../..', 'fixtures', 'clock', n), 'utf8');

describe('clock parsers', () => {
  it('chrony synced, 0.412 ms fast: positive offset (local ahead), source with the reference', () => {
    expect(parseChronyTracking(fx('chronyc-tracking-synced.txt'))).toEqual({ clock_synced: 'yes', clock_offset_ms: 0.412345, clock_source: 'chrony 10.77.0.1' });
  });

  it('chrony 1.25 s slow: negative offset', () => {
    expect(parseChronyTracking(fx('chronyc-tracking-slow.txt'))).toEqual({ clock_synced: 'yes', clock_offset_ms: -1250, clock_source: 'chrony ntp.lab' });
  });

  it('chrony not synchronised: no, and no reference named', () => {
    expect(parseChronyTracking(fx('chronyc-tracking-unsynced.txt'))).toMatchObject({ clock_synced: 'no', clock_source: 'chrony' });
  });

  it('timedatectl show: NTPSynchronized yes / no', () => {
    expect(parseTimedatectlShow(fx('timedatectl-show-synced.txt'))).toEqual({ clock_synced: 'yes' });
    expect(parseTimedatectlShow(fx('timedatectl-show-unsynced.txt'))).toEqual({ clock_synced: 'no' });
    expect(parseTimedatectlShow('System has not been booted with systemd as init system (PID 1).')).toBeNull();
  });

  it('timesyncd: Offset -1.129ms is θ (server − local): the local clock is 1.129 ms ahead', () => {
    expect(parseTimesyncStatus(fx('timedatectl-timesync-status.txt'))).toEqual({ clock_offset_ms: 1.129, clock_source: 'timesyncd 10.77.0.1' });
  });

  it('macOS sntp: +0.012345 is the correction: local clock 12.345 ms behind', () => {
    expect(parseSntp(fx('sntp-macos.txt'))).toEqual({ clock_synced: null, clock_offset_ms: -12.345, clock_source: 'sntp time.apple.com' });
  });

  it('w32tm: synced to time.windows.com with a phase offset; free-running CMOS clock is not synced', () => {
    expect(parseW32tm(fx('w32tm-status-verbose-synced.txt'))).toEqual({ clock_synced: 'yes', clock_offset_ms: 0.431, clock_source: 'w32tm time.windows.com' });
    expect(parseW32tm(fx('w32tm-status-unsynced.txt'))).toEqual({ clock_synced: 'no', clock_offset_ms: null, clock_source: 'w32tm' });
  });

  it('hostile text: never throws; offsets finite or null; synced yes, no or null', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(fc.tuple(fc.constantFrom('Leap status', 'System time', 'Reference ID', 'Offset', 'Server', 'Source', 'Leap Indicator', 'Phase Offset', 'NTPSynchronized'), fc.string({ maxLength: 30 })), { maxLength: 8 }).map((ls) => ls.map(([k, v]) => `${k} : ${v}`).join('\n')),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const p of [parseChronyTracking(t), parseSntp(t), parseW32tm(t)]) {
          if (!p) continue;
          expect([null, 'yes', 'no']).toContain(p.clock_synced);
          if (p.clock_offset_ms !== null) expect(Number.isFinite(p.clock_offset_ms)).toBe(true);
        }
        const s = parseTimesyncStatus(t);
        if (s?.clock_offset_ms != null) expect(Number.isFinite(s.clock_offset_ms)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('gatherClock', () => {
  const tools = (outputs: Record<string, string>) => async (file: string, args: string[]) => {
    const out = outputs[`${file} ${args.join(' ')}`];
    if (out === undefined) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });
    return out;
  };

  it('Linux with chrony: chrony wins', async () => {
    const c = await gatherClock({ platform: 'linux', exec: tools({ 'chronyc tracking': fx('chronyc-tracking-synced.txt'), 'timedatectl show': fx('timedatectl-show-unsynced.txt') }) });
    expect(c).toMatchObject({ clock_synced: 'yes', clock_source: 'chrony 10.77.0.1' });
  });

  it('Linux with timesyncd: verdict from timedatectl show, offset and server from timesync-status', async () => {
    const c = await gatherClock({ platform: 'linux', exec: tools({ 'timedatectl show': fx('timedatectl-show-synced.txt'), 'timedatectl timesync-status': fx('timedatectl-timesync-status.txt') }) });
    expect(c).toEqual({ clock_synced: 'yes', clock_offset_ms: 1.129, clock_source: 'timesyncd 10.77.0.1' });
  });

  it('no tool at all (a container without systemd): every column null', async () => {
    expect(await gatherClock({ platform: 'linux', exec: tools({}) })).toEqual({ clock_synced: null, clock_offset_ms: null, clock_source: null });
  });

  it('macOS: sntp against the server of /etc/ntp.conf; Windows: w32tm', async () => {
    const asked: string[] = [];
    const exec = async (f: string, a: string[]) => {
      asked.push(`${f} ${a.join(' ')}`);
      return f === 'sntp' ? fx('sntp-macos.txt') : fx('w32tm-status-verbose-synced.txt');
    };
    expect(await gatherClock({ platform: 'darwin', exec, readFile: async () => 'server time.apple.com\n' })).toMatchObject({ clock_offset_ms: -12.345 });
    expect(await gatherClock({ platform: 'win32', exec })).toMatchObject({ clock_synced: 'yes' });
    expect(asked).toEqual(['sntp -t 1 time.apple.com', 'w32tm /query /status /verbose']);
  });

  it('on every record via host info; unknown fields left out (null in the record)', async () => {
    const si = { networkInterfaceDefault: async () => 'eth0', networkInterfaces: async () => [], networkGatewayDefault: async () => '', wifiConnections: async () => [] } as unknown as SiLike;
    const info = await gatherHostInfo({ loadSi: async () => si, route: async () => null, platform: 'linux', mmcli: async () => '', clock: async () => ({ clock_synced: 'no', clock_offset_ms: null, clock_source: 'timedatectl' }) });
    expect(info).toMatchObject({ clock_synced: 'no', clock_source: 'timedatectl' });
    expect('clock_offset_ms' in info).toBe(false);
    // The network side failing does not lose the clock.
    const failing = await gatherHostInfo({ loadSi: () => Promise.reject(new Error('no module')), route: async () => null, clock: async () => ({ clock_synced: 'yes', clock_offset_ms: 2, clock_source: 'chrony' }) });
    expect(failing).toEqual({ clock_synced: 'yes', clock_offset_ms: 2, clock_source: 'chrony' });
  });
});
