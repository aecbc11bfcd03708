/**
 * Each ModemManager modem matched to its network interface (issue 22): a laptop with two modems of two operators gives
 * two links, and each link's records carry its own modem's operator, MCC-MNC, access technology, band, cell and signal.
 * A modem's interface is the port mmcli marks "(net)" (`modem.generic.ports`), e.g. wwan1. Kept apart from host-info.ts
 * (which reads `-m any`, the default route's modem). Local tools only: no packet leaves.
 */
import { execFile } from 'node:child_process';
import type { Metrics } from '../core/schema.js';
import { cellIdentityFromMmcli, cellInfoFromMmcli, parseMmcliKeyValues, type CellInfo } from './mmcli.js';

/** The modems' D-Bus paths from `mmcli -L -K` (`modem-list.value[N]`); their indexes are what `-m` takes. */
export function modemIndexesFromList(text: string): string[] {
  const v = parseMmcliKeyValues(text).get('modem-list');
  const paths = Array.isArray(v) ? v : typeof v === 'string' && v !== '' ? v.split(',') : [];
  return paths.flatMap((p) => {
    const m = /\/Modem\/(\d{1,6})\s*$/.exec(p.trim());
    return m ? [m[1] as string] : [];
  });
}

/**
 * Pure: the modem carrying `iface`, or null. Exact name only: a modem whose net port is wwan1 is never wwan10's, and
 * two modems claiming one interface (a stale ModemManager entry) give none rather than a guess.
 */
export function modemOf<M extends Pick<CellInfo, 'netPorts'>>(iface: string, modems: readonly M[]): M | null {
  const mine = modems.filter((m) => m.netPorts.includes(iface));
  return mine.length === 1 ? (mine[0] as M) : null;
}

/** The cell columns of a link's records from its own modem (every identity column set, null where unknown). */
export function cellColumnsOf(cell: CellInfo): Metrics {
  return {
    net_type: 'cellular',
    cell_operator: cell.cell_operator,
    cell_tech: cell.cell_tech,
    cell_rsrp_dbm: cell.cell_rsrp_dbm,
    cell_rsrq_db: cell.cell_rsrq_db,
    cell_sinr_db: cell.cell_sinr_db,
    ...(cell.identity ?? {}),
  };
}

export type MmcliRunner = (args: string[], timeoutMs: number) => Promise<string>;

/** Every modem ModemManager knows, with its radio figures and identity; [] without mmcli or modems. Never throws. */
export async function gatherModems(mmcli: MmcliRunner = runMmcli, timeoutMs = 2000): Promise<CellInfo[]> {
  let indexes: string[];
  try {
    indexes = modemIndexesFromList(await mmcli(['-L', '-K'], timeoutMs));
  } catch {
    return [];
  }
  const one = async (i: string): Promise<CellInfo | null> => {
    const ask = (args: string[]) => mmcli(['-m', i, ...args], timeoutMs).catch(() => '');
    const [modem, signal, location, cellInfo] = await Promise.all([ask(['-K']), ask(['--signal-get', '-K']), ask(['--location-get', '-K']), ask(['--get-cell-info', '-K'])]);
    if (modem === '') return null;
    return { ...cellInfoFromMmcli(modem, signal), identity: cellIdentityFromMmcli(modem, location, cellInfo) };
  };
  return (await Promise.all(indexes.map(one))).filter((m): m is CellInfo => m !== null);
}

function runMmcli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('mmcli', args, { timeout: timeoutMs, windowsHide: true, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}
