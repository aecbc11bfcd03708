/** A site's links (issue 22): the config's interface settings, the plan over links, the routing table, `auto`'s rule. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { autoInterfacesFrom, linkColumnsFrom, parseProcNetRoute, type Route } from '../../src/host/links.js';
import { planOverLinks } from '../../src/run/link-plan.js';
import { interfaceList } from '../../src/cli/options.js';

const cfg = (doc: object) => validateConfig(doc, 'site.yaml');

describe('config: interface per endpoint or test, interfaces for the plan', () => {
  it('a test’s interface wins over its endpoint’s; tests without either stay on the default route', () => {
    const c = cfg({
      endpoints: [
        { host: '10.77.9.1', interface: 'wwan0', tests: ['icmp', { kind: 'tcp', port: 80, interface: 'wlan0' }] },
        { host: '10.77.9.2', tests: ['icmp'] },
      ],
    });
    expect(c.endpoints[0]!.tests.map((t) => t.bind?.device)).toEqual(['wwan0', 'wlan0']);
    expect(c.endpoints[1]!.tests[0]!.bind).toBeUndefined();
    expect(c.interfaces).toBeNull();
  });

  it('interfaces: a list or auto', () => {
    expect(cfg({ interfaces: ['wlan0', 'wwan0'], endpoints: [] }).interfaces).toEqual(['wlan0', 'wwan0']);
    expect(cfg({ interfaces: 'auto', endpoints: [] }).interfaces).toBe('auto');
  });

  it.each([
    [{ interfaces: 'wlan0' }, /site.yaml: interfaces: expected auto or a list of interface names, found "wlan0"/],
    [{ interfaces: [] }, /interfaces: expected auto or at least one interface name/],
    [{ interfaces: ['wlan0', 'wlan0'] }, /interfaces\[1\]: expected an interface not listed before/],
    [{ interfaces: ['a/b'] }, /interfaces\[0\]: expected a network interface name/],
    [{ interfaces: ['sixteen-chars-xx'] }, /interfaces\[0\]: expected a network interface name/],
    [{ interfaces: [{}] }, /interfaces\[0\]: expected a (non-empty )?string/],
    [{ endpoints: [{ host: 'h', interface: '', tests: ['icmp'] }] }, /endpoints\[0\]\.interface: expected a non-empty string/],
    [{ endpoints: [{ host: 'h', tests: [{ kind: 'icmp', interface: 'x y' }] }] }, /endpoints\[0\]\.tests\[0\]\.interface: expected a network interface name/],
  ])('%j is refused with the file, the path and the expectation', (doc, message) => {
    expect(() => cfg(doc)).toThrow(message);
  });

  it('--interface: auto or a comma list; bad names refused', () => {
    expect(interfaceList('auto')).toBe('auto');
    expect(interfaceList('wlan0, wwan0')).toEqual(['wlan0', 'wwan0']);
    expect(() => interfaceList('wlan0,,wwan0')).toThrow(/found ""/);
    expect(() => interfaceList('a,a')).toThrow(/twice/);
  });
});

describe('planOverLinks', () => {
  const c = cfg({ endpoints: [{ name: 'srv', host: '10.77.9.1', tests: ['icmp', { kind: 'tcp', port: 80, interface: 'eth9' }] }] });
  const summary = (p: ReturnType<typeof planOverLinks>) => p.map((t) => `${t.spec.kind}@${t.spec.bind?.device ?? 'default'}`);

  it('no links: each test as configured', () => {
    expect(summary(planOverLinks(c.endpoints, null))).toEqual(['icmp@default', 'tcp@eth9']);
  });
  it('interfaces: every unbound test over each link, link after link; a test with its own interface once', () => {
    expect(summary(planOverLinks(c.endpoints, ['a0', 'b0']))).toEqual(['icmp@a0', 'tcp@eth9', 'icmp@b0']);
  });
  it('--interface overrides every test’s own', () => {
    expect(summary(planOverLinks(c.endpoints, ['a0', 'b0'], true))).toEqual(['icmp@a0', 'tcp@a0', 'icmp@b0', 'tcp@b0']);
  });
});

// /proc/net/route as this kernel prints it: little-endian hex, a header, trailing blanks.
const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
qpla0\t00000000\t01004D0A\t0003\t0\t0\t0\t00000000\t0\t0\t0
qplb0\t00000000\t01014D0A\t0003\t0\t0\t200\t00000000\t0\t0\t0
qplb0\t00014D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
docker0\t00000000\t010011AC\t0003\t0\t0\t50\t00000000\t0\t0\t0
wwan9\t00000000\t01024D0A\t0002\t0\t0\t10\t00000000\t0\t0\t0
`;

describe('the routing table and the links it gives', () => {
  const routes = parseProcNetRoute(ROUTES);
  it('reads addresses little-endian; a route not up (flag 1 clear) is no route', () => {
    expect(routes.find((r) => r.iface === 'qpla0')).toEqual({ iface: 'qpla0', destination: '0.0.0.0', gateway: '10.77.0.1', metric: 0, mask: '0.0.0.0' });
    expect(routes.find((r) => r.iface === 'qplb0' && r.destination !== '0.0.0.0')).toMatchObject({ destination: '10.77.1.0', gateway: null, mask: '255.255.255.0' });
    expect(routes.some((r) => r.iface === 'wwan9')).toBe(false);
  });

  it('auto: up interfaces with a default route, best metric first, virtual ones out', () => {
    expect(autoInterfacesFrom(routes, () => true)).toEqual(['qpla0', 'qplb0']);
    expect(autoInterfacesFrom(routes, (i) => i !== 'qpla0')).toEqual(['qplb0']);
  });

  it('a link’s columns: its own gateway (the default route on it), every other link column null', () => {
    const cols = linkColumnsFrom('qplb0', routes, [{ address: '10.77.1.2', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: null }], { up: true, wireless: false });
    expect(cols).toMatchObject({ net_iface: 'qplb0', net_type: 'wired', net_ip: '10.77.1.2', gateway: '10.77.1.1', wifi_ssid: null, cell_operator: null });
    expect(linkColumnsFrom('wwan0', routes, undefined, null)).toMatchObject({ net_iface: 'wwan0', net_type: 'cellular', net_ip: null, gateway: null });
  });

  it('hostile input: any text gives routes or none, never a throw, never a half-read row', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 120 }), { maxLength: 20 }), (lines) => {
        const out: Route[] = parseProcNetRoute(['header', ...lines].join('\n'));
        for (const r of out) {
          expect(r.destination).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
          expect(Number.isInteger(r.metric)).toBe(true);
        }
      }),
    );
  });

  it('round trip: a route written as the kernel does is read back', () => {
    const hex = (a: number[]) => a.map((b) => b.toString(16).padStart(2, '0')).reverse().join('').toUpperCase();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 99999 }), (gw, metric) => {
        const line = `eth0\t00000000\t${hex(gw)}\t0003\t0\t0\t${metric}\t00000000\t0\t0\t0`;
        const [r] = parseProcNetRoute(`h\n${line}`);
        const dotted = gw.join('.');
        expect(r).toEqual({ iface: 'eth0', destination: '0.0.0.0', gateway: dotted === '0.0.0.0' ? null : dotted, metric, mask: '0.0.0.0' });
      }),
    );
  });
});
