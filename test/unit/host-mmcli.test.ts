import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherHostInfo, hostInfoFrom, type SiLike, type SiSnapshot } from '../../src/host/host-info.js';
import { cellIdentityFromMmcli, cellInfoFromMmcli, lteBand, nrBand } from '../../src/host/mmcli.js';

const fx = (n: string) => readFileSync(join(import.meta.dirname, '../..', 'fixtures', 'mmcli', n), 'utf8');
const IDENTITY = ['cell_mcc_mnc', 'cell_band', 'cell_channel', 'cell_id', 'cell_tac', 'cell_lac'] as const;

describe('radio identity from mmcli', () => {
  it('LTE (EM12, Telkomsel): MCC-MNC, band from the EARFCN, cell id and TAC from 3GPP location, no LAC on LTE', () => {
    expect(cellIdentityFromMmcli(fx('em12-lte-modem.txt'), fx('em12-lte-location.txt'), fx('em12-lte-cellinfo.txt'))).toEqual({
      cell_mcc_mnc: '510-10',
      cell_band: 'B3', // EARFCN 1850 is in 1200–1949
      cell_channel: 1850,
      cell_id: 'B4A7C02',
      cell_tac: '262D',
      cell_lac: null, // 0000: the network's "none"
    });
  });

  it('5G NSA (RM500Q, XL Axiata): channel and band of the NR leg, cell and area of the LTE anchor', () => {
    expect(cellIdentityFromMmcli(fx('rm500q-5g-nsa-modem.txt'), fx('rm500q-5g-nsa-location.txt'), fx('rm500q-5g-nsa-cellinfo.txt'))).toEqual({
      cell_mcc_mnc: '510-11',
      cell_band: 'n1', // NR-ARFCN 427970 is in 422000–434000, and no other band of the table
      cell_channel: 427970,
      cell_id: '1E3A905',
      cell_tac: '11F4',
      cell_lac: null,
    });
  });

  it('5G SA (RM500Q, Telkomsel n40): 36-bit NR cell identity, 24-bit TAC, band from the NR-ARFCN', () => {
    expect(cellIdentityFromMmcli(fx('rm500q-5g-sa-modem.txt'), fx('rm500q-5g-sa-location.txt'), fx('rm500q-5g-sa-cellinfo.txt'))).toEqual({
      cell_mcc_mnc: '510-10',
      cell_band: 'n40', // 470208 is in 460000–480000
      cell_channel: 470208,
      cell_id: '123ABC45',
      cell_tac: 'A2C4',
      cell_lac: null,
    });
    expect(cellInfoFromMmcli(fx('rm500q-5g-sa-modem.txt'), '')).toMatchObject({ cell_tech: '5gnr', cell_operator: 'TELKOMSEL' });
  });

  it('UMTS, location but no cell info: LAC and CI, no TAC, no channel', () => {
    expect(cellIdentityFromMmcli(fx('em12-umts-registered-modem.txt'), fx('em12-umts-registered-location.txt'), '')).toEqual({
      cell_mcc_mnc: '510-89',
      cell_band: null,
      cell_channel: null,
      cell_id: 'D1A3',
      cell_tac: null,
      cell_lac: '2B5C',
    });
  });

  it('location not enabled, no cell info: MCC-MNC from the operator code only', () => {
    expect(cellIdentityFromMmcli(fx('em12-lte-modem.txt'), fx('location-not-enabled.txt'), '')).toEqual({
      cell_mcc_mnc: '510-10',
      cell_band: null,
      cell_channel: null,
      cell_id: null,
      cell_tac: null,
      cell_lac: null,
    });
  });

  it.each(['em12-no-sim-modem.txt', 'em12-searching-modem.txt'])('%s: every identity column null, and no operator or technology', (modem) => {
    const id = cellIdentityFromMmcli(fx(modem), fx('location-not-enabled.txt'), '');
    for (const k of IDENTITY) expect(id[k]).toBeNull();
    expect(cellInfoFromMmcli(fx(modem), fx('signal-not-setup.txt'))).toMatchObject({ cell_operator: null, cell_tech: null, cell_rsrp_dbm: null });
  });

  it.each([
    [0, 'B1'],
    [1849, 'B3'],
    [3500, 'B8'],
    [9500, 'B28'],
    [38950, 'B40'],
    [60000, null],
  ])('EARFCN %i → %s', (earfcn, band) => expect(lteBand(earfcn)).toBe(band));

  it.each([
    [427970, 'n1'],
    [630000, null], // n77 and n78 both hold it: no guess
    [159000, null], // n20 and n28 overlap
    [700000, 'n79'],
  ])('NR-ARFCN %i → %s', (arfcn, band) => expect(nrBand(arfcn)).toBe(band));

  it('hostile text: never throws; identity values are well-formed or null', () => {
    const line = fc.tuple(
      fc.constantFrom('modem.location.3gpp.mcc', 'modem.location.3gpp.mnc', 'modem.location.3gpp.cid', 'modem.location.3gpp.tac', 'modem.3gpp.operator-code', 'modem.cell-info.value[1]', 'x'),
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('--', '0000', 'serving: yes, earfcn: 1850, ci: 0x1F', '510', '10', '51010', 'FFFFFFFFFFFF')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(line, { maxLength: 12 }), (a, b) => {
        const text = (ls: [string, string][]) => ls.map(([k, v]) => `${k} : ${v}`).join('\n');
        const id = cellIdentityFromMmcli(text(a), text(b), text(b));
        if (id.cell_mcc_mnc !== null) expect(id.cell_mcc_mnc).toMatch(/^\d{3}-\d{2,3}$/);
        for (const k of ['cell_id', 'cell_tac', 'cell_lac'] as const) if (id[k] !== null) expect(id[k]).toMatch(/^[1-9A-F][0-9A-F]*$/);
        if (id.cell_channel !== null) expect(Number.isSafeInteger(id.cell_channel) && id.cell_channel >= 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('records from mmcli fixtures: every new column filled or null', () => {
  const wwan = { iface: 'wwan0', ifaceName: 'wwan0', default: true, ip4: '10.77.64.2', ip6: '', type: 'wired' } as SiSnapshot['interfaces'][number];
  const si: SiLike = {
    networkInterfaceDefault: async () => 'wwan0',
    networkInterfaces: async () => [wwan],
    networkGatewayDefault: async () => '10.77.64.1',
    wifiConnections: async () => [],
  } as unknown as SiLike;
  const mmcliFrom = (files: Record<string, string>) => async (args: string[]) => {
    const key = args.includes('--signal-get') ? 'signal' : args.includes('--location-get') ? 'location' : args.includes('--get-cell-info') ? 'cellinfo' : 'modem';
    if (!files[key]) throw Object.assign(new Error('unsupported'), { code: 1 });
    return fx(files[key]);
  };

  it('LTE modem carrying the traffic: all six identity columns next to the radio figures', async () => {
    const info = await gatherHostInfo({
      loadSi: async () => si,
      route: async () => null,
      platform: 'linux',
      mmcli: mmcliFrom({ modem: 'em12-lte-modem.txt', signal: 'em12-lte-signal.txt', location: 'em12-lte-location.txt', cellinfo: 'em12-lte-cellinfo.txt' }),
    });
    expect(info).toMatchObject({ net_type: 'cellular', cell_operator: 'TELKOMSEL', cell_tech: 'lte', cell_mcc_mnc: '510-10', cell_band: 'B3', cell_channel: 1850, cell_id: 'B4A7C02', cell_tac: '262D', cell_lac: null });
  });

  it('an old ModemManager without --get-cell-info: channel and band null, the rest from location', async () => {
    const info = await gatherHostInfo({ loadSi: async () => si, route: async () => null, platform: 'linux', mmcli: mmcliFrom({ modem: 'em12-lte-modem.txt', signal: 'em12-lte-signal.txt', location: 'em12-lte-location.txt' }) });
    expect(info).toMatchObject({ cell_mcc_mnc: '510-10', cell_channel: null, cell_band: null, cell_id: 'B4A7C02' });
  });

  it('no SIM: every identity column null', () => {
    const cell = { ...cellInfoFromMmcli(fx('em12-no-sim-modem.txt'), ''), identity: cellIdentityFromMmcli(fx('em12-no-sim-modem.txt'), '', '') };
    const info = hostInfoFrom({ defaultIface: 'wwan0', interfaces: [wwan], gateway: null, wifi: [] }, cell);
    for (const k of IDENTITY) expect(info[k]).toBeNull();
  });
});
