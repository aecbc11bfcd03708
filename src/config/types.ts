import type { FormatName } from '../core/format-names.js';
import type { BaseSpec, Endpoint } from '../core/samples.js';
import type { MonitorConfig } from './monitor.js';

export interface Defaults {
  count: number;
  intervalMs: number;
  timeoutMs: number;
}

/** Built-in defaults: the lowest layer (defaults < file < environment < flags). */
export const BUILTIN_DEFAULTS: Defaults = { count: 20, intervalMs: 200, timeoutMs: 2000 };

export interface LocationConfig {
  code: string | null;
  site: string | null;
  lat: number | null;
  lon: number | null;
}

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
  endpoints: EndpointConfig[];
  output: OutputConfig;
  /** The `monitor:` section (defaults when absent); only `qosprobe monitor` reads it. */
  monitor?: MonitorConfig;
}
