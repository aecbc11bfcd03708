/**
 * The links of this host (issue 22): which interfaces `interfaces: auto` measures over, and each link's own context
 * (net_iface, net_type, net_ip, gateway) for the records of tests bound to it. Linux: the IPv4 routing table
 * (/proc/net/route) and /sys/class/net; local state only, no packet leaves. Kept apart from host-info.ts (the default
 * route's context), which the records of unbound tests carry.
 */
import { readFile, readdir, access } from 'node:fs/promises';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { Metrics } from '../core/schema.js';
import type { CellInfo } from './mmcli.js';
import { cellColumnsOf, gatherModems, modemOf, type MmcliRunner } from './modems.js';

/** One IPv4 route of /proc/net/route. */
export interface Route {
  iface: string;
  /** Dotted quad; 0.0.0.0 for a default route. */
  destination: string;
  /** Dotted quad; null when on-link (no gateway). */
  gateway: string | null;
  metric: number;
  mask: string;
}

/** /proc/net/route's little-endian hex address as a dotted quad; null when it is not 8 hex digits. */
function hexAddress(h: string): string | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(h)) return null;
  const n = Number.parseInt(h, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

/** Pure: the routes of /proc/net/route's text (header skipped; rows that do not read are left out, never guessed). */
export function parseProcNetRoute(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flags, , , metric, mask] = f as [string, string, string, string, string, string, string, string];
    const destination = hexAddress(dest);
    const gateway = hexAddress(gw);
    const m = hexAddress(mask);
    const flagBits = Number.parseInt(flags, 16);
    if (!iface || destination === null || gateway === null || m === null || !/^\d+$/.test(metric) || !Number.isFinite(flagBits)) continue;
    // RTF_UP (1): a route that is down is not a route.
    if ((flagBits & 1) === 0) continue;
    out.push({ iface, destination, gateway: gateway === '0.0.0.0' ? null : gateway, metric: Number(metric), mask: m });
  }
  return out;
}

/**
 * Interfaces that are not a site's link to an operator: loopback, and the virtual ones of containers, VMs, bridges and
 * VPN tunnels (their traffic leaves through another link anyway). Cellular ppp/wwan devices are real links.
 */
export const VIRTUAL_INTERFACE = /^(lo|docker|br-|veth|virbr|vnet|tun|tap|wg|tailscale|zt|ifb|dummy|bond|team|vxlan|cni|flannel|cali|kube)/;

/**
 * Pure: the rule of `interfaces: auto` — every interface that is up and has a default route (any metric), loopback and
 * virtual ones excluded (VIRTUAL_INTERFACE), in the order of their best default route's metric (the default link first).
 */
export function autoInterfacesFrom(routes: readonly Route[], isUp: (iface: string) => boolean): string[] {
  const best = new Map<string, number>();
  for (const r of routes) {
    if (r.destination !== '0.0.0.0' || r.mask !== '0.0.0.0' || VIRTUAL_INTERFACE.test(r.iface) || !isUp(r.iface)) continue;
    best.set(r.iface, Math.min(best.get(r.iface) ?? Infinity, r.metric));
  }
  return [...best].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([i]) => i);
}

/** Interface names that are cellular modems on Linux (cdc-wdm/QMI/MBIM net ports, PPP dial-up); as host-info.ts. */
const CELLULAR_NAME = /^(wwan|wwp|rmnet|ppp|cdc)/;

/** What /sys/class/net says of one interface. */
export interface SysNetFacts {
  /** `operstate` up, or unknown (ppp, many veth) with IFF_UP set. */
  up: boolean;
  /** Has a `wireless` or `phy80211` entry. */
  wireless: boolean;
}

/**
 * Pure: the link columns of a record of a test bound to `iface`. Every link column is set (null when unknown), so the
 * default route's Wi-Fi or radio figures never end up on another link's record. The gateway is this link's default
 * route's (the lowest metric), else any gateway on it.
 */
export function linkColumnsFrom(
  iface: string,
  routes: readonly Route[],
  addrs: readonly NetworkInterfaceInfo[] | undefined,
  sys: SysNetFacts | null,
  modems: readonly CellInfo[] = [],
): Metrics {
  const mine = routes.filter((r) => r.iface === iface && r.gateway !== null).sort((a, b) => Number(b.destination === '0.0.0.0') - Number(a.destination === '0.0.0.0') || a.metric - b.metric);
  const ip = addrs?.find((a) => a.family === 'IPv4' && !a.internal)?.address ?? addrs?.find((a) => !a.internal)?.address ?? null;
  const type = CELLULAR_NAME.test(iface) ? 'cellular' : sys?.wireless ? 'wireless' : sys ? 'wired' : 'other';
  // A modem's own figures, matched by its net port: two modems of two operators give two correctly labelled links.
  const modem = modemOf(iface, modems);
  return { ...EMPTY_LINK_COLUMNS, net_iface: iface, net_type: type, net_ip: ip, gateway: mine[0]?.gateway ?? null, ...(modem ? cellColumnsOf(modem) : {}) };
}

/** The columns that describe the link a record's traffic took: what a bound test's record replaces. */
export const EMPTY_LINK_COLUMNS: Metrics = {
  net_iface: null,
  net_type: null,
  net_ip: null,
  gateway: null,
  wifi_ssid: null,
  wifi_bssid: null,
  wifi_signal_dbm: null,
  wifi_quality: null,
  wifi_channel: null,
  cell_operator: null,
  cell_tech: null,
  cell_rsrp_dbm: null,
  cell_rsrq_db: null,
  cell_sinr_db: null,
  cell_mcc_mnc: null,
  cell_band: null,
  cell_channel: null,
  cell_id: null,
  cell_tac: null,
  cell_lac: null,
};

async function readRoutes(): Promise<Route[]> {
  try {
    return parseProcNetRoute(await readFile('/proc/net/route', 'utf8'));
  } catch {
    return [];
  }
}

async function sysFacts(iface: string): Promise<SysNetFacts | null> {
  const dir = `/sys/class/net/${iface}`;
  try {
    const state = (await readFile(`${dir}/operstate`, 'utf8')).trim();
    const flags = Number.parseInt((await readFile(`${dir}/flags`, 'utf8')).trim(), 16);
    const exists = (p: string) => access(`${dir}/${p}`).then(() => true, () => false);
    return { up: state === 'up' || (state === 'unknown' && (flags & 1) === 1), wireless: (await exists('wireless')) || (await exists('phy80211')) };
  } catch {
    return null;
  }
}

/** `interfaces: auto` on this host (Linux; elsewhere none: the caller says so). */
export async function autoInterfaces(): Promise<string[]> {
  const routes = await readRoutes();
  const names = await readdir('/sys/class/net').catch(() => [] as string[]);
  const up = new Set<string>();
  for (const n of names) if ((await sysFacts(n))?.up) up.add(n);
  return autoInterfacesFrom(routes, (i) => up.has(i));
}

/** Each link's columns, read once per run; a link that is missing still gets its name (its tests say what failed). */
export async function gatherLinkColumns(ifaces: readonly string[], mmcli?: MmcliRunner): Promise<Map<string, Metrics>> {
  const routes = await readRoutes();
  const addrs = networkInterfaces();
  const facts = new Map<string, SysNetFacts | null>();
  for (const i of ifaces) facts.set(i, await sysFacts(i));
  // mmcli only when a link can be a modem (not Wi-Fi), and only Linux has ModemManager.
  const maybeCell = process.platform === 'linux' && ifaces.some((i) => !facts.get(i)?.wireless);
  const modems = maybeCell ? await gatherModems(mmcli) : [];
  const out = new Map<string, Metrics>();
  for (const i of ifaces) out.set(i, linkColumnsFrom(i, routes, addrs[i], facts.get(i) ?? null, modems));
  return out;
}
