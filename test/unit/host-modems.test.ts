/** Each ModemManager modem matched to its network interface (issue 22): two modems of two operators, two links. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkColumnsFrom } from '../../src/host/links.js';
import { gatherModems, modemIndexesFromList, modemOf } from '../../src/host/modems.js';

const DIR = join(import.meta.dirname, '../../fixtures/mmcli/two-modems');
const fixture = (name: string) => readFileSync(join(DIR, name), 'utf8');

/** mmcli as the fixtures recorded it: `-L`, and per modem `-K`, `--signal-get`, `--location-get`, `--get-cell-info`. */
const mmcli = (args: string[]): Promise<string> => {
  if (args[0] === '-L') return Promise.resolve(fixture('list.txt'));
  const file = { '-K': 'modem', '--signal-get': 'signal', '--location-get': 'location', '--get-cell-info': 'cellinfo' }[args[2] as string];
  return file ? Promise.resolve(fixture(`modem${args[1]}-${file}.txt`)) : Promise.reject(new Error('unknown'));
};

describe('two modems of two operators', () => {
  it('each link gets its own modem’s operator, MCC-MNC, technology, band, cell and signal', async () => {
    const modems = await gatherModems(mmcli);
    expect(modems).toHaveLength(2);
    const wwan0 = linkColumnsFrom('wwan0', [], undefined, { up: true, wireless: false }, modems);
    const wwan1 = linkColumnsFrom('wwan1', [], undefined, { up: true, wireless: false }, modems);
    expect(wwan0).toMatchObject({ net_iface: 'wwan0', net_type: 'cellular', cell_operator: 'TELKOMSEL', cell_mcc_mnc: '510-10', cell_tech: 'lte' });
    expect(wwan1).toMatchObject({ net_iface: 'wwan1', net_type: 'cellular', cell_operator: 'XL Axiata', cell_mcc_mnc: '510-11', cell_tech: '5gnr' });
    for (const k of ['cell_band', 'cell_id', 'cell_rsrp_dbm'] as const) {
      expect(wwan0[k]).not.toBeNull();
      expect(wwan1[k]).not.toBeNull();
    }
    expect(wwan0.cell_band).toMatch(/^B\d+$/);
    expect(wwan1.cell_band).toMatch(/^n\d+$/);
    expect(wwan0.cell_id).not.toBe(wwan1.cell_id);
    // A link no modem carries: no radio figures at all (never another link's).
    expect(linkColumnsFrom('wlan0', [], undefined, { up: true, wireless: true }, modems)).toMatchObject({ net_type: 'wireless', cell_operator: null, cell_mcc_mnc: null });
  });

  it('no mmcli, or no modem: none, never a throw', async () => {
    expect(await gatherModems(() => Promise.reject(Object.assign(new Error('spawn mmcli ENOENT'), { code: 'ENOENT' })))).toEqual([]);
    expect(await gatherModems(() => Promise.resolve('modem-list.length : 0\n'))).toEqual([]);
  });

  it('modem indexes from `mmcli -L -K` (new lists and old comma-separated)', () => {
    expect(modemIndexesFromList(fixture('list.txt'))).toEqual(['0', '1']);
    expect(modemIndexesFromList('modem-list : /org/freedesktop/ModemManager1/Modem/3, /org/freedesktop/ModemManager1/Modem/7\n')).toEqual(['3', '7']);
  });
});

describe('modemOf: the matching rule (properties)', () => {
  const name = fc.stringMatching(/^[a-z]{1,6}[0-9]{0,3}$/);
  const modemsArb = fc.array(fc.record({ netPorts: fc.uniqueArray(name, { maxLength: 3 }) }), { maxLength: 5 });

  it('returns the one modem whose net ports name the interface exactly, else null', () => {
    fc.assert(
      fc.property(name, modemsArb, (iface, modems) => {
        const got = modemOf(iface, modems);
        const holders = modems.filter((m) => m.netPorts.includes(iface));
        if (holders.length === 1) expect(got).toBe(holders[0]);
        else expect(got).toBeNull();
        if (got) expect(got.netPorts).toContain(iface);
      }),
    );
  });

  it('a prefix is not a match: wwan1 is never wwan10’s modem', () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 0, max: 9 }), (base, d) => {
        expect(modemOf(`${base}${d}`, [{ netPorts: [`${base}${d}0`] }])).toBeNull();
      }),
    );
  });

  it('hostile mmcli -L output: indexes are digits or nothing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        for (const i of modemIndexesFromList(text)) expect(i).toMatch(/^\d{1,6}$/);
      }),
    );
  });
});
