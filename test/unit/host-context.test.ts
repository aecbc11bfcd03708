/**
 * Issue 25 item 2: the cheap host context (default route, interface, gateway) never depends on the slow parts
 * (systeminformation's interface list, Wi-Fi, the modem, the clock), and a record whose context was cut short says so.
 * Every collector here is a fake, so the timing is ours and not the machine's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherHostInfo, parseProcRoute, type SiLike } from '../../src/host/host-info.js';

const never = <T>(): Promise<T> => new Promise<T>(() => {});
/** systeminformation whose every call hangs (a machine at load 18: nmcli and friends never return in time). */
const hangingSi: SiLike = {
  networkInterfaceDefault: never,
  networkInterfaces: never,
  networkGatewayDefault: never,
  wifiConnections: never,
} as unknown as SiLike;

describe('gatherHostInfo: parts gathered side by side, each within the budget', () => {
  it('slow interfaces, modem and clock: the route, interface and gateway still come, and the record names what was cut', async () => {
    const t0 = performance.now();
    const info = await gatherHostInfo({
      timeoutMs: 200,
      platform: 'linux',
      route: async () => ({ iface: 'eth7', gateway: '10.77.235.1' }),
      loadSi: async () => hangingSi,
      mmcli: never,
      clock: never,
    });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(info.net_iface).toBe('eth7');
    expect(info.gateway).toBe('10.77.235.1');
    // Each slow part is named; the route is not, it answered.
    expect(info.host_info_incomplete).toMatch(/^timed out after 200 ms: /);
    expect(info.host_info_incomplete!.split(': ')[1]!.split(', ').sort()).toEqual(['cellular', 'clock', 'interfaces']);
    // No type is guessed without the interface list (eth7 is not a radio name).
    expect(info.net_type).toBeUndefined();
  });

  it('slow Wi-Fi on a wireless link: route and gateway stay, the type is wireless, "wifi" is named', async () => {
    const info = await gatherHostInfo({
      timeoutMs: 150,
      platform: 'linux',
      route: async () => ({ iface: 'wlp2s0', gateway: '10.77.236.1' }),
      loadSi: async () => ({ ...hangingSi, networkInterfaceDefault: async () => 'wlp2s0', networkInterfaces: async () => [], networkGatewayDefault: async () => '' }) as unknown as SiLike,
      clock: async () => ({ clock_synced: 'yes', clock_offset_ms: 0.5, clock_source: 'chrony' }),
    });
    expect(info).toMatchObject({ net_iface: 'wlp2s0', gateway: '10.77.236.1', net_type: 'wireless', clock_synced: 'yes', host_info_incomplete: 'timed out after 150 ms: wifi' });
  });

  it('everything in time: no host_info_incomplete', async () => {
    const info = await gatherHostInfo({
      timeoutMs: 1000,
      platform: 'linux',
      route: async () => ({ iface: 'eth0', gateway: '10.77.237.1' }),
      loadSi: async () =>
        ({
          networkInterfaceDefault: async () => 'eth0',
          networkInterfaces: async () => [{ iface: 'eth0', default: true, ip4: '10.77.237.2', ip6: '', type: 'wired' }],
          networkGatewayDefault: async () => '10.77.237.1',
          wifiConnections: async () => [],
        }) as unknown as SiLike,
      mmcli: async () => '',
      clock: async () => ({ clock_synced: null, clock_offset_ms: null, clock_source: null }),
    });
    expect(info).toEqual({ net_iface: 'eth0', net_ip: '10.77.237.2', gateway: '10.77.237.1', net_type: 'wired' });
  });
});

describe('parseProcRoute (/proc/net/route)', () => {
  const head = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
  it.each([
    // 010200C0 little-endian = 192.0.2.1; flags 0003 = UP|GATEWAY
    ['one default route', `${head}eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`, { iface: 'eth0', gateway: '192.0.2.1' }],
    // two defaults: the lower metric wins (Wi-Fi 600 vs the modem 700)
    ['lowest metric wins', `${head}wwan0\t00000000\t0140A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0\nwlp2s0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n`, { iface: 'wlp2s0', gateway: '192.168.1.1' }],
    // a point-to-point default (ppp0) has no gateway flag
    ['no gateway flag', `${head}ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n`, { iface: 'ppp0', gateway: null }],
    ['no default route', `${head}eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`, null],
    ['a default route that is down', `${head}eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n`, null],
    ['empty', '', null],
  ])('%s', (_name, text, expected) => {
    expect(parseProcRoute(text)).toEqual(expected);
  });

  it('hostile input: any text gives null or a route with an IPv4 gateway, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.array(fc.array(fc.oneof(fc.stringMatching(/^[0-9A-Fa-f]{0,9}$/), fc.string({ maxLength: 6 })), { maxLength: 12 }), { maxLength: 6 }), (junk, rows) => {
        for (const text of [junk, head + rows.map((r) => r.join('\t')).join('\n')]) {
          const r = parseProcRoute(text);
          if (r !== null) expect(r.gateway === null || /^\d{1,3}(\.\d{1,3}){3}$/.test(r.gateway)).toBe(true);
        }
      }),
    );
  });
});
