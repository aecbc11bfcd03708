/**
 * The links a command measures over (issue 22), shared by `run` and `monitor`: which links (--interface over the
 * config's `interfaces:`, `auto` read from the host) and each link's record context (its own net_iface, gateway, modem).
 */
import { platform } from 'node:os';
import { QosError } from '../core/errors.js';
import type { Config } from '../config/types.js';
import type { RunContext } from '../records/assemble.js';

/** The links asked for: null names when none (each test as configured); override when they came from --interface. */
export interface LinkChoice {
  names: string[] | null;
  override: boolean;
}

/**
 * The links to measure over: --interface over the config's `interfaces:` (issue 22); `auto` read from the host
 * (host/links.ts). null names: no links asked for (each test as configured).
 */
export async function linksOf(config: Config, flag: string[] | 'auto' | undefined): Promise<LinkChoice> {
  const asked = flag ?? config.interfaces ?? null;
  if (asked !== 'auto') return { names: asked, override: flag !== undefined };
  const { autoInterfaces } = await import('../host/links.js');
  const found = platform() === 'linux' ? await autoInterfaces() : [];
  if (found.length === 0) {
    const where = flag !== undefined ? '--interface auto' : `${config.file ?? 'config'}: interfaces: auto`;
    throw new QosError('CONFIG_INVALID', `${where}: found no up interface with a default route (loopback and virtual ones are left out; Linux only): name the interfaces instead`);
  }
  return { names: found, override: flag !== undefined };
}

/** The context of each link's records: the run's, with that link's columns instead of the default route's. */
export async function linkContexts(devices: readonly string[], ctx: RunContext, hostInfo: boolean): Promise<Map<string, RunContext>> {
  const unique = [...new Set(devices)];
  if (unique.length === 0) return new Map();
  const { gatherLinkColumns, EMPTY_LINK_COLUMNS } = await import('../host/links.js');
  // Without host info a record still says which link it measured: the name is the test's, not gathered.
  const columns = hostInfo ? await gatherLinkColumns(unique) : new Map(unique.map((d) => [d, { ...EMPTY_LINK_COLUMNS, net_iface: d }]));
  return new Map(unique.map((d) => [d, { ...ctx, extra: { ...ctx.extra, ...columns.get(d) } }]));
}
