/**
 * The one resolver of a run's location: which layer sets the code (--location over
 * $QOSPROBE_LOCATION over the config file), its format, its region name from the bundled table,
 * and --location-unchecked. Called once per run (run, demo, ad hoc commands, monitor); everything
 * after it (records, the JSON document's run, incidents, the summary line) reads the value it returns.
 */
import { QosError } from '../core/errors.js';
import type { Location, LocationSource } from '../core/location.js';
import type { Config } from './types.js';
import { say } from '../core/messages.js';

export interface LocationRequest {
  /** --location as given: when set it wins, even blank (a blank code means none). */
  flag: string | undefined;
  /** --location-unchecked: accept a well-formed code that is not in the region table (its name is null then). */
  unchecked: boolean;
  /** Reads $QOSPROBE_LOCATION; an empty variable counts as unset. */
  env: NodeJS.ProcessEnv;
  /** The file's location block (code already format-checked by validateConfig) and the file's name for messages. */
  config: Pick<Config, 'file' | 'location'>;
}

/** Defaults < file < environment < flags: the layer that sets the code, and what it says (untrimmed). */
function chooseLayer(req: LocationRequest): { raw: string | null; source: LocationSource } {
  if (req.flag !== undefined) return { raw: req.flag, source: 'flag' };
  const env = req.env.QOSPROBE_LOCATION;
  if (env) return { raw: env, source: 'env' };
  return req.config.location.code === null ? { raw: null, source: 'none' } : { raw: req.config.location.code, source: 'config' };
}

/** How messages name where a code came from. */
function locationSourceLabel(source: LocationSource, file: string | null): string {
  return source === 'flag' ? '--location' : source === 'env' ? '$QOSPROBE_LOCATION' : (file ?? 'config');
}

/**
 * The run's location, or an error: a malformed code (a usage error from --location, exit 2; a
 * config error from the environment or the file, exit 3), or a code the region table does not know
 * (exit 3, with the nearest known codes) unless unchecked. No code at all is not an error here:
 * only `run` and `monitor` require one, and say so themselves.
 */
export async function resolveLocation(req: LocationRequest): Promise<Location> {
  const { raw, source } = chooseLayer(req);
  const { site, lat, lon } = req.config.location;
  const code = raw?.trim() || null;
  if (code === null) return { code: null, name: null, site, lat, lon, source };
  // Loaded only with a code: an ad hoc command without one never loads the region code module.
  const { parseLocationCode, lookupParsedCode } = await import('./locations.js');
  const label = locationSourceLabel(source, req.config.file);
  const parsed = parseLocationCode(code);
  // The format is checked even with --location-unchecked: a malformed code can't be aggregated.
  if (!parsed.ok) throw new QosError(source === 'flag' ? 'USAGE' : 'LOCATION_UNKNOWN', say('locationMalformed', label, code, parsed.text));
  const found = await lookupParsedCode(parsed);
  if (found.found) return { code: parsed.code, name: found.name, site, lat, lon, source };
  if (req.unchecked) return { code: parsed.code, name: null, site, lat, lon, source };
  const near = found.suggestions.map((s) => `${s.code} (${s.name})`).join(', ');
  throw new QosError('LOCATION_UNKNOWN', say('locationUnknown', label, parsed.code, near));
}
