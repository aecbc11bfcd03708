/**
 * The network context of a run (schema v1 host columns): which interface carried the test,
 * its type and address, the gateway, Wi-Fi and cellular radio figures.
 *
 * Gathering it must never fail or slow a run much: systeminformation is imported here, once,
 * only when asked; every call is caught; the whole thing is bounded by a timeout, after which
 * the columns are simply empty. It reads local state only (routing table, nmcli/iw, mmcli):
 * no packet leaves the machine.
 */
import { execFile } from 'node:child_process';
import type { Systeminformation } from 'systeminformation';
import type { Metrics } from '../core/schema.js';
import { gatherClock, type ClockInfo } from './clock.js';
import { cellIdentityFromMmcli, cellInfoFromMmcli, type CellInfo } from './mmcli.js';
import type * as Si from 'systeminformation';

export type HostInfo = Pick<
  Metrics,
  | 'net_iface'
  | 'net_type'
  | 'net_ip'
  | 'gateway'
  | 'wifi_ssid'
  | 'wifi_bssid'
  | 'wifi_signal_dbm'
  | 'wifi_quality'
  | 'wifi_channel'
  | 'cell_operator'
  | 'cell_tech'
  | 'cell_rsrp_dbm'
  | 'cell_rsrq_db'
  | 'cell_sinr_db'
  | 'cell_mcc_mnc'
  | 'cell_band'
  | 'cell_channel'
  | 'cell_id'
  | 'cell_tac'
  | 'cell_lac'
  | 'clock_synced'
  | 'clock_offset_ms'
  | 'clock_source'
>;

export interface SiSnapshot {
  defaultIface: string | null;
  interfaces: Systeminformation.NetworkInterfacesData[];
  gateway: string | null;
  wifi: Systeminformation.WifiConnectionData[];
}

/** Interface names that are cellular modems on Linux (cdc-wdm/QMI/MBIM net ports, PPP dial-up). */
const CELLULAR_NAME = /^(wwan|wwp|rmnet|ppp|cdc)/;

/** Pure: the host columns from what systeminformation and mmcli reported. */
export function hostInfoFrom(si: SiSnapshot, cell: CellInfo | null): HostInfo {
  const info: HostInfo = {};
  const iface =
    si.interfaces.find((i) => i.iface === si.defaultIface) ?? si.interfaces.find((i) => i.default) ?? null;
  const name = iface?.iface ?? si.defaultIface ?? null;
  if (name) info.net_iface = name;
  const ip = nonEmpty(iface?.ip4) ?? nonEmpty(iface?.ip6);
  if (ip) info.net_ip = ip;
  if (si.gateway) info.gateway = si.gateway;

  const wifi = si.wifi.find((w) => w.iface === name) ?? (iface?.type === 'wireless' ? si.wifi[0] : undefined);
  const isCell = name !== null && (CELLULAR_NAME.test(name) || (cell?.netPorts.includes(name) ?? false));
  if (name) info.net_type = isCell ? 'cellular' : wifi || iface?.type === 'wireless' ? 'wireless' : iface?.type === 'wired' ? 'wired' : 'other';
  if (wifi) {
    if (nonEmpty(wifi.ssid)) info.wifi_ssid = wifi.ssid;
    if (nonEmpty(wifi.bssid)) info.wifi_bssid = wifi.bssid.toLowerCase();
    if (finite(wifi.signalLevel) && wifi.signalLevel < 0) info.wifi_signal_dbm = wifi.signalLevel;
    if (finite(wifi.quality) && wifi.quality >= 0) info.wifi_quality = wifi.quality;
    if (finite(wifi.channel) && wifi.channel > 0) info.wifi_channel = wifi.channel;
  }
  // Radio figures of a modem that is not carrying our traffic would mislead: only when cellular.
  if (cell && isCell) {
    info.cell_operator = cell.cell_operator;
    info.cell_tech = cell.cell_tech;
    info.cell_rsrp_dbm = cell.cell_rsrp_dbm;
    info.cell_rsrq_db = cell.cell_rsrq_db;
    info.cell_sinr_db = cell.cell_sinr_db;
    if (cell.identity) Object.assign(info, cell.identity);
  }
  return info;
}

export interface GatherOptions {
  /** Upper bound for the whole gathering (default 3000 ms). */
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  /** Runs mmcli with these args and returns stdout (injectable for tests; default execFile with a timeout). */
  mmcli?(args: string[], timeoutMs: number): Promise<string>;
  /** Loads systeminformation (injectable for tests). */
  loadSi?(): Promise<SiLike>;
  /** Reads the clock's synchronisation state (injectable for tests; default clock.ts's gatherClock). */
  clock?(timeoutMs: number): Promise<ClockInfo>;
}

export type SiLike = Pick<typeof Si, 'networkInterfaceDefault' | 'networkInterfaces' | 'networkGatewayDefault' | 'wifiConnections'>;

/** Never throws, never takes longer than timeoutMs: unknown columns stay empty. */
export async function gatherHostInfo(opts: GatherOptions = {}): Promise<HostInfo> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HostInfo>((resolve) => {
    timer = setTimeout(() => resolve({}), timeoutMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([gather(opts, timeoutMs).catch(() => ({}) as HostInfo), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function gather(opts: GatherOptions, timeoutMs: number): Promise<HostInfo> {
  const platform = opts.platform ?? process.platform;
  // The clock's state is asked in parallel with the network's (local tools only).
  const clock = (opts.clock ?? ((t: number) => gatherClock({ platform, timeoutMs: t })))(Math.min(2000, timeoutMs)).catch(() => null);
  const net = await gatherNetwork(opts, platform, timeoutMs).catch((): HostInfo => ({}));
  const c = await clock;
  // Only what is known: unknown columns stay empty (null) in the record.
  if (c) for (const [k, v] of Object.entries(c) as [keyof ClockInfo, string | number | null][]) if (v !== null) Object.assign(net, { [k]: v });
  return net;
}

async function gatherNetwork(opts: GatherOptions, platform: NodeJS.Platform, timeoutMs: number): Promise<HostInfo> {
  const si = await (opts.loadSi ?? loadSystemInformation)();
  const safe = <T>(p: () => Promise<T>, fallback: T) => p().then((v) => v ?? fallback, () => fallback);
  const [defaultIface, interfaces, gateway] = await Promise.all([
    safe(() => si.networkInterfaceDefault(), ''),
    safe(async () => {
      const v = await si.networkInterfaces();
      return Array.isArray(v) ? v : [v];
    }, [] as Systeminformation.NetworkInterfacesData[]),
    safe(() => si.networkGatewayDefault(), ''),
  ]);
  const def = interfaces.find((i) => i.iface === defaultIface) ?? interfaces.find((i) => i.default);
  const name = def?.iface ?? nonEmpty(defaultIface);
  // Wi-Fi and modem queries spawn tools (nmcli, iw, mmcli): only when the link can be one.
  const maybeWifi = def?.type === 'wireless' || (name !== null && /^(wl|wifi|wlan|ath|ra)/i.test(name));
  // systeminformation calls a wwan0 "wired" (it only knows wireless or not): ask mmcli whenever it is not Wi-Fi.
  const maybeCell = platform === 'linux' && name !== null && !maybeWifi;
  const [wifi, cell] = await Promise.all([
    maybeWifi ? safe(() => si.wifiConnections(), [] as Systeminformation.WifiConnectionData[]) : Promise.resolve([]),
    maybeCell ? readCell(opts.mmcli ?? runMmcli, Math.min(2000, timeoutMs)) : Promise.resolve(null),
  ]);
  return hostInfoFrom({ defaultIface: nonEmpty(defaultIface), interfaces, gateway: nonEmpty(gateway), wifi: Array.isArray(wifi) ? wifi : [] }, cell);
}

async function readCell(mmcli: NonNullable<GatherOptions['mmcli']>, timeoutMs: number): Promise<CellInfo | null> {
  try {
    // Signal figures need `mmcli -m any --signal-setup=N` once (an admin choice); without it they are "--".
    const t0 = Date.now();
    const [modem, signal] = await Promise.all([mmcli(['-m', 'any', '-K'], timeoutMs), mmcli(['-m', 'any', '--signal-get', '-K'], timeoutMs).catch(() => '')]);
    const cell = cellInfoFromMmcli(modem, signal);
    if (cell.state === null) return cell; // no modem: nothing more to ask
    // Which network and cell: 3GPP location (needs --location-enable-3gpp once) and the serving cell; within what is left of the budget.
    const left = Math.max(100, timeoutMs - (Date.now() - t0));
    const [location, cellInfo] = await Promise.all([
      mmcli(['-m', 'any', '--location-get', '-K'], left).catch(() => ''),
      mmcli(['-m', 'any', '--get-cell-info', '-K'], left).catch(() => ''),
    ]);
    return { ...cell, identity: cellIdentityFromMmcli(modem, location, cellInfo) };
  } catch {
    return null; // no mmcli, no ModemManager, no modem: not cellular as far as we can tell
  }
}

function runMmcli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('mmcli', args, { timeout: timeoutMs, windowsHide: true, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

let siPromise: Promise<SiLike> | null = null;
/** At most once per process: the module is large and its first import costs tens of ms. */
function loadSystemInformation(): Promise<SiLike> {
  siPromise ??= import('systeminformation').then((m) => (m as unknown as { default?: SiLike }).default ?? (m as unknown as SiLike));
  return siPromise;
}

function nonEmpty(s: string | null | undefined): string | null {
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : null;
}

function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}
