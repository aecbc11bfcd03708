import type { FormatName } from '../core/format-names.js';
import type { BaseSpec, Endpoint } from '../core/samples.js';
import type { Location } from '../core/location.js';
import type { MonitorConfig } from './monitor.js';

export interface Defaults {
  count: number;
  intervalMs: number;
  timeoutMs: number;
}

/** Built-in defaults: the lowest layer (defaults < file < environment < flags). */
export const BUILTIN_DEFAULTS: Defaults = { count: 20, intervalMs: 200, timeoutMs: 2000 };

/** The file's location block: its code format-checked by validateConfig, not yet looked up (config/resolve-location.ts does, once per run). */
export type LocationConfig = Pick<Location, 'code' | 'site' | 'lat' | 'lon'>;

export interface EndpointConfig extends Endpoint {
  tests: BaseSpec[];
}

export interface OutputConfig {
  format: FormatName;
  /** null: stdout. */
  path: string | null;
  append: boolean;
}

/** A validated config. Everything the run needs, typed; produced only by validateConfig. */
export interface Config {
  /** Where it was read from; null for built-in (ad hoc commands, demo). */
  file: string | null;
  probeId: string;
  location: LocationConfig;
  /** The file's `defaults:` block (fields it does not set are absent); readTestEntry layers it. */
  defaults: Partial<Defaults>;
  /**
   * `interfaces:` — measure the plan over each of these links (issue 22), `auto` for every up interface with a default
   * route (host/links.ts); null: the default route (tests with their own `interface:` aside).
   */
  interfaces?: string[] | 'auto' | null;
  endpoints: EndpointConfig[];
  output: OutputConfig;
  /** The `monitor:` section (defaults when absent); only `qosprobe monitor` reads it. */
  monitor?: MonitorConfig;
}
