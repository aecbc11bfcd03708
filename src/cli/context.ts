/** Loading the config a command runs with (lazy-imported by actions only). */
import { hostname } from 'node:os';
import { QosError } from '../core/errors.js';
import { configCandidates, findConfig, readConfigFile } from '../config/load.js';
import type { Config } from '../config/types.js';
import { messagesFor } from './i18n.js';
import type { CliIo } from './io.js';

export function emptyConfig(): Config {
  return {
    file: null,
    probeId: hostname(),
    location: { code: null, site: null, lat: null, lon: null },
    defaults: {},
    endpoints: [],
    output: { format: 'csv', path: null, append: false },
  };
}

/** The config for `run`: it must exist. */
export async function loadRequiredConfig(explicit: string | undefined, io: CliIo): Promise<Config> {
  const path = findConfig(explicit, io.env, io.cwd);
  if (!path) {
    throw new QosError(
      'CONFIG_NOT_FOUND',
      messagesFor(io).noConfig(configCandidates(io.env, io.cwd)),
    );
  }
  return readConfigFile(path);
}

/**
 * The config for ad hoc commands and the demo: optional. When one is found, its probe id,
 * location and defaults apply (a technician's site is already configured); its endpoints don't.
 */
export async function loadOptionalConfig(explicit: string | undefined, io: CliIo): Promise<Config> {
  const path = findConfig(explicit, io.env, io.cwd);
  if (!path) return emptyConfig();
  const c = await readConfigFile(path);
  return { ...c, endpoints: [], output: { format: 'csv', path: null, append: false } };
}
