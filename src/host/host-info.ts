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
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
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
  /** Upper bound for the whole gathering (default 3000 ms); each part has it (the clock at most 2000 ms), in parallel. */
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  /** Runs mmcli with these args and returns stdout (injectable for tests; default execFile with a timeout). */
  mmcli?(args: string[], timeoutMs: number): Promise<string>;
  /** Loads systeminformation (injectable for tests). */
  loadSi?(): Promise<SiLike>;
  /** Reads the clock's synchronisation state (injectable for tests; default clock.ts's gatherClock). */
  clock?(timeoutMs: number): Promise<ClockInfo>;
  /**
   * The cheap facts: the default route's interface and gateway, read from the routing table without spawning
   * anything (default: /proc/net/route on Linux; elsewhere null, and systeminformation answers). Injectable for tests.
   */
  route?(): Promise<RouteInfo | null>;
}

/** The default route: its interface and gateway (null: a route without a gateway, e.g. a point-to-point link). */
export interface RouteInfo {
  iface: string;
  gateway: string | null;
}

export type SiLike = Pick<typeof Si, 'networkInterfaceDefault' | 'networkInterfaces' | 'networkGatewayDefault' | 'wifiConnections'>;

/** The host columns, and why they are incomplete when a part of the gathering ran out of time (host_info_incomplete). */
export type HostContext = HostInfo & Pick<Metrics, 'host_info_incomplete'>;

/**
 * Never throws, never takes longer than timeoutMs: unknown columns stay empty. The parts are gathered side by side,
 * each within the budget, so a slow one (Wi-Fi, the modem, the clock, systeminformation under load) never empties the
 * others: the default route, its interface and gateway come from the routing table and hold (issue 25). A part that
 * ran out of time is named in host_info_incomplete; one that failed (no mmcli, no chrony) is simply unknown.
 */
export async function gatherHostInfo(opts: GatherOptions = {}): Promise<HostContext> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const platform = opts.platform ?? process.platform;
  const cut: string[] = [];
  const budget = new Budget(timeoutMs);
  try {
    const clockMs = Math.min(2000, timeoutMs);
    const clock = budget.within('clock', (opts.clock ?? ((t: number) => gatherClock({ platform, timeoutMs: t })))(clockMs), cut, clockMs);
    // The route first, before systeminformation's import (a large module whose evaluation holds the event loop) can
    // starve it: reading the routing table takes well under a millisecond.
    const r = await budget.within('route', (opts.route ?? ((): Promise<RouteInfo | null> => Promise.resolve(platform === 'linux' ? readProcRoute() : null)))(), cut);
    const si = (opts.loadSi ?? loadSystemInformation)();
    // systeminformation: the interfaces' types and addresses, and the route where the routing table was not read.
    const details = budget.within('interfaces', siDetails(si), cut);
    // Where the routing table answered, the slow parts need not wait for systeminformation to know the interface.
    const early = r ? r.iface : null;
    const d = early ? null : await details;
    const name = early ?? d?.def?.iface ?? d?.defaultIface ?? null;
    const wireless = name !== null && (WIFI_NAME.test(name) || (platform === 'linux' && isWirelessSysfs(name)) || d?.def?.type === 'wireless');
    // systeminformation calls a wwan0 "wired" (it only knows wireless or not): ask mmcli whenever it is not Wi-Fi.
    const maybeCell = platform === 'linux' && name !== null && !wireless;
    const [wifi, cell, det, c] = await Promise.all([
      wireless ? budget.within('wifi', si.then((m) => m.wifiConnections()), cut) : Promise.resolve(null),
      maybeCell ? budget.within('cellular', readCell(opts.mmcli ?? runMmcli, Math.min(2000, timeoutMs)), cut, Math.min(2000, timeoutMs)) : Promise.resolve(null),
      d ? Promise.resolve(d) : details,
      clock,
    ]);
    const snapshot: SiSnapshot = {
      defaultIface: r?.iface ?? det?.defaultIface ?? null,
      interfaces: det?.interfaces ?? [],
      gateway: r ? r.gateway : (det?.gateway ?? null),
      wifi: Array.isArray(wifi) ? wifi : [],
    };
    const info: HostContext = hostInfoFrom(snapshot, cell ?? null);
    // Without systeminformation's interface list: the address from Node's own table, the type from the name.
    if (info.net_ip === undefined && snapshot.defaultIface) {
      const ip = addressOf(snapshot.defaultIface);
      if (ip) info.net_ip = ip;
    }
    // Without the interface in systeminformation's list the type is known only for a radio; "other" would be a guess.
    if (info.net_type === 'other' && !snapshot.interfaces.some((i) => i.iface === info.net_iface)) {
      if (wireless) info.net_type = 'wireless';
      else delete info.net_type;
    }
    // Only what is known: unknown columns stay empty (null) in the record.
    if (c) for (const [k, v] of Object.entries(c) as [keyof ClockInfo, string | number | null][]) if (v !== null) Object.assign(info, { [k]: v });
    if (cut.length > 0) info.host_info_incomplete = `timed out after ${timeoutMs} ms: ${cut.join(', ')}`;
    return info;
  } catch {
    return cut.length > 0 ? { host_info_incomplete: `timed out after ${timeoutMs} ms: ${cut.join(', ')}` } : {};
  } finally {
    budget.clear();
  }
}

/** One deadline for the parts of a gathering: each part resolves with null once it fails or its time is up. */
class Budget {
  private readonly timers = new Set<NodeJS.Timeout>();
  constructor(private readonly ms: number) {}

  /** The part's value; null when it failed, or when `ms` passed first (then `name` is added to `cut`). */
  within<T>(name: string, p: Promise<T>, cut: string[], ms = this.ms): Promise<T | null> {
    return new Promise<T | null>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        cut.push(name);
        resolve(null);
      }, ms);
      timer.unref?.();
      this.timers.add(timer);
      const settle = (v: T | null) => {
        if (!this.timers.delete(timer)) return; // too late: already counted as cut short
        clearTimeout(timer);
        resolve(v);
      };
      p.then(settle, () => settle(null));
    });
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

interface SiDetails {
  defaultIface: string | null;
  def: Systeminformation.NetworkInterfacesData | undefined;
  interfaces: Systeminformation.NetworkInterfacesData[];
  gateway: string | null;
}

async function siDetails(load: Promise<SiLike>): Promise<SiDetails> {
  const si = await load;
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
  return { defaultIface: nonEmpty(defaultIface), def, interfaces, gateway: nonEmpty(gateway) };
}

/** Interface names that are Wi-Fi on Linux, macOS and BSD. */
const WIFI_NAME = /^(wl|wifi|wlan|ath|ra)/i;

function isWirelessSysfs(iface: string): boolean {
  return /^[\w.-]+$/.test(iface) && existsSync(`/sys/class/net/${iface}/wireless`);
}

/** The interface's first IPv4 address (else IPv6, not link-local) from Node's own table: no tool spawned. */
function addressOf(iface: string): string | null {
  const list = networkInterfaces()[iface] ?? [];
  const pick = list.find((a) => a.family === 'IPv4' && !a.internal) ?? list.find((a) => a.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80'));
  return pick?.address ?? null;
}

/**
 * Linux's IPv4 routing table: the default route (destination 0, mask 0) with the lowest metric. Read synchronously: a
 * procfs file of a few lines, answered from kernel memory, so nothing queued on a busy event loop can delay it.
 */
function readProcRoute(): RouteInfo | null {
  try {
    return parseProcRoute(readFileSync('/proc/net/route', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Pure: /proc/net/route's text → the default route. Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ...;
 * addresses are little-endian hex (0101A8C0 = 192.168.1.1). A default route without RTF_GATEWAY (0x2) has no gateway.
 */
export function parseProcRoute(text: string): RouteInfo | null {
  let best: { iface: string; gateway: string | null; metric: number } | null = null;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flags, , , metric, mask] = f as [string, string, string, string, string, string, string, string];
    if (dest !== '00000000' || mask !== '00000000') continue;
    const fl = parseInt(flags, 16);
    if (!(fl & 0x1)) continue; // RTF_UP
    const m = Number(metric);
    const gateway = fl & 0x2 && /^[0-9A-Fa-f]{8}$/.test(gw) ? hexToIpv4(gw) : null;
    if (best === null || m < best.metric) best = { iface, gateway, metric: m };
  }
  return best ? { iface: best.iface, gateway: best.gateway } : null;
}

function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
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
