/** The test spec of an ad hoc command (loaded by its action: it pulls in config validation and the probe registry). */
import { FlagReader, type Obj } from '../core/config-reader.js';
import type { Defaults } from '../config/types.js';
import { readTestEntry } from '../config/validate.js';
import type { BaseSpec } from '../core/samples.js';

/** An ad hoc command as adhoc-spec.ts reads it: the kind, and how its flags are named. */
export interface AdhocDef {
  kind: string;
  /** As in --help: `<host:port>`. */
  argument: string;
  /** The flag that sets a config key, where the default rule (`duration_s` → `--duration`) does not give it. */
  flagNames?: Record<string, string>;
}

/** Fields that come from the command's argument rather than a flag. */
const ARGUMENT_FIELDS = ['url', 'port', 'name'];

/** `duration_s` → `--duration`, `ca_file` → `--ca-file`: how the ad hoc flags are named after config fields. */
export function flagFor(def: Pick<AdhocDef, 'argument' | 'flagNames'>, field: string): string {
  if (def.flagNames?.[field]) return def.flagNames[field];
  if (field === 'family') return '-4/-6';
  if (ARGUMENT_FIELDS.includes(field)) return def.argument;
  return `--${field.replace(/_(ms|s)$/, '').replaceAll('_', '-')}`;
}

/**
 * The test spec of an ad hoc command: its flags are a test entry, read by the same function as a config's entries
 * (one precedence, one set of bounds); the config's `defaults:` block sits below them.
 */
export function adhocSpec(
  def: Pick<AdhocDef, 'kind' | 'argument' | 'flagNames'>,
  fields: Obj,
  opts: { count?: number; interval?: number; timeout?: number },
  fileDefaults: Partial<Defaults>,
  cwd: string | null = null,
): BaseSpec {
  const entry = { kind: def.kind, count: opts.count, interval_ms: opts.interval, timeout_ms: opts.timeout, ...fields };
  const set = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
  return readTestEntry(new FlagReader((f) => flagFor(def, f), cwd), set, '', fileDefaults);
}
