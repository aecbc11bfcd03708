/**
 * Quality profiles as data: a generic engine rates each group's statistics against the bands
 * or classes of a profile file (bundled: registry.ts, or any file given with --profile). Boundary
 * rules (< versus ≤) live in the data: every bound says whether it is inclusive.
 *
 * File format (docs/report.md "Profiles"):
 *   { name, title, source?, notes?: string[],
 *     metrics: [{ id, label, metric: <a metric id of metrics.ts>|availability_percent,
 *                 statistic: mean|median|p95|p10|min|max, scale?: number,
 *                 nominal_bps?: { default?: number|null, by_group?: { "<group key>": number } },
 *                 bands: [{ index?, label, pass, min?, min_inclusive?, max?, max_inclusive? }] }],
 *     overall: { method: "mean-index", bands: [...] }        // bands over the mean index
 *            | { method: "all-pass" }                          // pass when every metric passes
 *            | { method: "first-class", classes: [{ label, pass, bounds: { <metric id>: bound } }] } }
 * Bands are tried in order; the first that holds wins. `scale` multiplies the statistic before it
 * is compared (0.5: one-way delay estimated as RTT/2). With `nominal_bps` the value compared is
 * 100 × statistic / nominal rate (percent of the subscribed rate).
 */
import { readFile } from 'node:fs/promises';
import { ConfigReader, type Obj } from '../core/config-reader.js';
import { QosError } from '../core/errors.js';
import { METRIC_IDS, RATED_METRICS, type MetricId, type MetricStats, type RatedGroup } from './metrics.js';
import { bundledProfileNames, bundledProfileUrl } from './registry.js';

export type Statistic = 'mean' | 'median' | 'p95' | 'p10' | 'min' | 'max' | 'value';

/** A per-record metric (distribution), or the group's availability (one value: 100 × ok / records). */
export type RatedMetric = MetricId | 'availability_percent';

export interface Bound {
  min?: number;
  /** Default true: value ≥ min. */
  min_inclusive?: boolean;
  max?: number;
  /** Default true: value ≤ max. */
  max_inclusive?: boolean;
}

export interface Band extends Bound {
  index?: number;
  label: string;
  pass: boolean;
}

export interface MetricRule {
  id: string;
  label: string;
  metric: RatedMetric;
  statistic: Statistic;
  /**
   * A gate: shown and rated like any metric but kept out of the overall method; when it fails,
   * the group fails overall whatever the other metrics say (availability: an unreachable site never passes).
   */
  gate?: boolean;
  scale?: number;
  nominal_bps?: { default?: number | null; by_group?: Record<string, number> };
  bands: Band[];
}

export type Overall =
  | { method: 'mean-index'; bands: Band[] }
  | { method: 'all-pass' }
  | { method: 'first-class'; classes: { label: string; pass: boolean; bounds: Record<string, Bound> }[] };

export interface Profile {
  name: string;
  title: string;
  source?: string;
  notes?: string[];
  /** A metric computed from fewer values than this (records for availability) is "insufficient data": no verdict from it. Default 3. */
  min_samples?: number;
  metrics: MetricRule[];
  overall: Overall;
}

export const DEFAULT_MIN_SAMPLES = 3;
/** Availability at or above this passes the default availability gate. */
export const AVAILABILITY_PASS_PERCENT = 95;

/**
 * Added to every profile that does not rate availability_percent itself (docs/report.md,
 * "Honesty rules"): qosprobe's own rule, not a standard's. A gate, so it never lifts or lowers
 * a mean index; it only stops a group that could not be reached most of the time from passing.
 */
export const DEFAULT_AVAILABILITY_RULE: MetricRule = {
  id: 'availability',
  label: 'Availability',
  metric: 'availability_percent',
  statistic: 'value',
  gate: true,
  bands: [
    { index: 4, label: '≥ 99 %', pass: true, min: 99 },
    { index: 3, label: `${AVAILABILITY_PASS_PERCENT}–99 %`, pass: true, min: AVAILABILITY_PASS_PERCENT },
    { index: 2, label: `80–${AVAILABILITY_PASS_PERCENT} %`, pass: false, min: 80 },
    { index: 1, label: '< 80 %', pass: false },
  ],
};

export interface MetricRating {
  id: string;
  label: string;
  /** The value compared (after scale / nominal), null when the group has no data (or no nominal rate). */
  value: number | null;
  index: number | null;
  /** Band label, or "no data", "insufficient data (n < 3)", "no nominal rate in the profile". */
  band: string;
  /** null when there is no value to rate. */
  pass: boolean | null;
  /** Why there is no rating, when there is none: kept apart so renderers can say it once. */
  missing?: 'no data' | 'insufficient data' | 'no nominal rate';
  /** Values the statistic came from (records for availability). */
  n: number;
  gate: boolean;
}

export interface GroupRating {
  metrics: MetricRating[];
  overall: { value: number | null; label: string; pass: boolean | null };
  /** Labels of the metrics that fail. */
  failing: string[];
  /** Labels of the metrics with too few values to rate (fewer than min_samples). */
  insufficient: string[];
}

/** A bundled profile by name (registry.ts), or a profile file by path (JSON, or YAML by extension). */
export async function loadProfile(nameOrPath: string, cwd: string): Promise<Profile> {
  const url = bundledProfileUrl(nameOrPath);
  const bundled = url !== null;
  const where = bundled ? `profile ${nameOrPath}` : nameOrPath;
  let text: string;
  try {
    text = url ? await readFile(url, 'utf8') : await readFile(new URL(nameOrPath, `file://${cwd.endsWith('/') ? cwd : cwd + '/'}`), 'utf8');
  } catch (err) {
    throw new QosError(
      bundled ? 'INTERNAL' : 'USAGE',
      bundled ? `cannot read bundled ${where}: the installation is incomplete` : `--profile ${nameOrPath}: not a bundled profile (${bundledProfileNames().join(', ')}) and no such file`,
      { cause: err },
    );
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(nameOrPath) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (err) {
    throw new QosError('CONFIG_INVALID', `${where}: cannot parse: ${(err as Error).message}`, { cause: err });
  }
  return validateProfile(data, where);
}

const METHODS = ['mean-index', 'all-pass', 'first-class'] as const;

/** Check a profile's shape once, through the config's reader: every failure names the file, the path, what was expected and what was found. */
export function validateProfile(data: unknown, where: string): Profile {
  const r = new ConfigReader(where);
  const list = (v: unknown, path: string): unknown[] => {
    const a = r.arr(v, path);
    if (a.length === 0) r.fail(path, 'a non-empty list', v);
    return a;
  };
  const bound = (o: Obj, path: string): Bound => {
    const b: Bound = {};
    const min = r.optNum(o.min, `${path}.min`);
    const max = r.optNum(o.max, `${path}.max`);
    const minInclusive = r.optBool(o.min_inclusive, `${path}.min_inclusive`);
    const maxInclusive = r.optBool(o.max_inclusive, `${path}.max_inclusive`);
    if (min !== undefined) b.min = min;
    if (max !== undefined) b.max = max;
    if (minInclusive !== undefined) b.min_inclusive = minInclusive;
    if (maxInclusive !== undefined) b.max_inclusive = maxInclusive;
    return b;
  };
  const band = (v: unknown, path: string, needIndex: boolean): Band => {
    const o = r.obj(v, path);
    const b: Band = { ...bound(o, path), label: r.str(o.label, `${path}.label`), pass: r.bool(o.pass, `${path}.pass`) };
    if (o.index !== undefined || needIndex) b.index = r.num(o.index, `${path}.index`);
    return b;
  };
  const root = r.obj(data, '');
  const overallObj = r.obj(root.overall, 'overall');
  const method = overallObj.method;
  const metrics = list(root.metrics, 'metrics').map((v, i): MetricRule => {
    const p = `metrics[${i}]`;
    const o = r.obj(v, p);
    const metric: RatedMetric = r.oneOf(o.metric, `${p}.metric`, [...METRIC_IDS, 'availability_percent'] as const);
    const allowed: Statistic[] = metric === 'availability_percent' ? ['value'] : ['mean', 'median', 'min', 'max', RATED_METRICS[metric].tail];
    const rule: MetricRule = {
      id: r.str(o.id, `${p}.id`),
      label: r.str(o.label, `${p}.label`),
      metric,
      statistic: r.oneOf(o.statistic, `${p}.statistic`, allowed),
      bands: list(o.bands, `${p}.bands`).map((b, j) => band(b, `${p}.bands[${j}]`, method === 'mean-index')),
    };
    const scale = r.optNum(o.scale, `${p}.scale`);
    if (scale !== undefined) rule.scale = scale;
    const gate = r.optBool(o.gate, `${p}.gate`);
    // Availability is always a gate (honesty rule 2): a profile cannot turn it off.
    if (metric === 'availability_percent' && gate === false) r.fail(`${p}.gate`, 'true or nothing (availability is always a gate: an unreachable site never passes)', gate);
    if (gate !== undefined) rule.gate = gate;
    if (o.nominal_bps !== undefined) {
      const n = r.obj(o.nominal_bps, `${p}.nominal_bps`);
      rule.nominal_bps = {};
      const dflt = r.optNum(n.default, `${p}.nominal_bps.default`);
      if (dflt !== undefined) rule.nominal_bps.default = dflt;
      const byGroup = r.optObj(n.by_group, `${p}.nominal_bps.by_group`);
      if (byGroup !== undefined) rule.nominal_bps.by_group = Object.fromEntries(Object.entries(byGroup).map(([k, x]) => [k, r.num(x, `${p}.nominal_bps.by_group.${k}`)]));
    }
    return rule;
  });
  // Every profile rates availability: the default gate unless the profile has its own rule.
  if (!metrics.some((m) => m.metric === 'availability_percent')) metrics.push(DEFAULT_AVAILABILITY_RULE);
  const ids = new Set(metrics.map((m) => m.id));
  let overall: Overall;
  switch (r.oneOf(method, 'overall.method', METHODS)) {
    case 'mean-index':
      overall = { method: 'mean-index', bands: list(overallObj.bands, 'overall.bands').map((b, j) => band(b, `overall.bands[${j}]`, false)) };
      break;
    case 'all-pass':
      overall = { method: 'all-pass' };
      break;
    case 'first-class':
      overall = {
        method: 'first-class',
        classes: list(overallObj.classes, 'overall.classes').map((v, j) => {
          const p = `overall.classes[${j}]`;
          const o = r.obj(v, p);
          const bounds = r.obj(o.bounds ?? {}, `${p}.bounds`);
          for (const k of Object.keys(bounds)) if (!ids.has(k)) r.fail(`${p}.bounds.${k}`, `the id of one of the profile's metrics (${[...ids].join(', ')})`, k);
          return {
            label: r.str(o.label, `${p}.label`),
            pass: r.bool(o.pass, `${p}.pass`),
            bounds: Object.fromEntries(Object.entries(bounds).map(([k, b]) => [k, bound(r.obj(b, `${p}.bounds.${k}`), `${p}.bounds.${k}`)])),
          };
        }),
      };
      break;
  }
  const profile: Profile = { name: r.str(root.name, 'name'), title: r.str(root.title, 'title'), metrics, overall };
  const source = r.optStr(root.source, 'source');
  if (source !== undefined) profile.source = source;
  if (root.notes !== undefined) profile.notes = list(root.notes, 'notes').map((n, i) => r.str(n, `notes[${i}]`));
  const minSamples = r.optNum(root.min_samples, 'min_samples', { integer: true, min: 1 });
  if (minSamples !== undefined) profile.min_samples = minSamples;
  return profile;
}

/** Does the value lie within the bound? Missing ends are open; ends are inclusive unless the data says otherwise. */
export function holds(b: Bound, v: number): boolean {
  if (b.min !== undefined && (b.min_inclusive === false ? !(v > b.min) : !(v >= b.min))) return false;
  if (b.max !== undefined && (b.max_inclusive === false ? !(v < b.max) : !(v <= b.max))) return false;
  return true;
}

function statValue(s: MetricStats, stat: Statistic): number | null {
  switch (stat) {
    case 'mean':
      return s.mean;
    case 'median':
      return s.median;
    case 'p95':
    case 'p10':
      return s.tail;
    case 'min':
      return s.min;
    case 'max':
      return s.max;
    case 'value':
      return null; // only availability_percent has a single value; validateProfile allows it nowhere else
  }
}

/**
 * Rate one group. `groupKey` (the --by values joined with "|") selects a per-group nominal rate.
 * Honesty rules (docs/report.md): a metric from fewer than min_samples values gives no verdict;
 * a failing gate fails the group whatever the overall method says; otherwise the method decides,
 * except that a group is "insufficient data" (no verdict) when it would pass without the metrics
 * that have too few values.
 */
export function rateGroup(profile: Profile, g: RatedGroup): GroupRating {
  const groupKey = g.key.join('|');
  const minSamples = profile.min_samples ?? DEFAULT_MIN_SAMPLES;
  const metrics = profile.metrics.map((rule): MetricRating => {
    // An availability rule is a gate whether or not the profile says so (docs/report.md, honesty rule 2).
    const gate = rule.gate === true || rule.metric === 'availability_percent';
    const n = rule.metric === 'availability_percent' ? g.records : g.metrics[rule.metric].n;
    let value = rule.metric === 'availability_percent' ? (g.records ? g.availabilityPercent : null) : statValue(g.metrics[rule.metric], rule.statistic);
    const none = (missing: NonNullable<MetricRating['missing']>, band: string): MetricRating => ({ id: rule.id, label: rule.label, value: null, index: null, band, pass: null, missing, n, gate });
    if (value === null || n === 0) return none('no data', 'no data');
    // Without a nominal rate the metric can never be rated, however many values there are.
    const nominal = rule.nominal_bps === undefined ? undefined : (rule.nominal_bps.by_group?.[groupKey] ?? rule.nominal_bps.default ?? null);
    if (nominal === null || (nominal !== undefined && nominal <= 0)) return none('no nominal rate', 'no nominal rate in the profile');
    if (n < minSamples) return none('insufficient data', `insufficient data (n = ${n} < ${minSamples})`);
    if (rule.scale !== undefined) value *= rule.scale;
    if (nominal !== undefined) value = (100 * value) / nominal;
    const v = value;
    const band = rule.bands.find((b) => holds(b, v));
    if (band === undefined) return { id: rule.id, label: rule.label, value, index: null, band: 'outside every band', pass: false, n, gate };
    return { id: rule.id, label: rule.label, value, index: band.index ?? null, band: band.label, pass: band.pass, n, gate };
  });
  const failing = metrics.filter((m) => m.pass === false).map((m) => m.label);
  const insufficient = metrics.filter((m) => m.missing === 'insufficient data').map((m) => m.label);
  const gatesFailing = metrics.filter((m) => m.gate && m.pass === false);
  const method = overallRating(
    profile.overall,
    metrics.filter((m) => !m.gate),
  );
  let overall = method;
  if (gatesFailing.length > 0) overall = { value: method.value, label: `fail: ${gatesFailing.map((m) => `${m.label} ${m.band}`).join(', ')}`, pass: false };
  else if (method.pass !== false && insufficient.length > 0) overall = { value: null, label: `insufficient data (${insufficient.join(', ')})`, pass: null };
  return { metrics, overall, failing, insufficient };
}

function overallRating(o: Overall, metrics: MetricRating[]): GroupRating['overall'] {
  switch (o.method) {
    case 'mean-index': {
      const idx = metrics.map((m) => m.index).filter((x): x is number => x !== null);
      if (idx.length === 0) return { value: null, label: 'no data', pass: null };
      const mean = idx.reduce((a, b) => a + b, 0) / idx.length;
      const band = o.bands.find((b) => holds(b, mean));
      return band ? { value: mean, label: band.label, pass: band.pass } : { value: mean, label: 'outside every band', pass: false };
    }
    case 'all-pass': {
      if (metrics.some((m) => m.pass === false)) return { value: null, label: 'fail', pass: false };
      const missing = metrics.filter((m) => m.pass === null);
      if (missing.length === metrics.length) return { value: null, label: 'no data', pass: null };
      if (missing.length > 0) return { value: null, label: `incomplete (no data: ${missing.map((m) => m.label).join(', ')})`, pass: null };
      return { value: null, label: 'pass', pass: true };
    }
    case 'first-class': {
      // The best class whose every bound holds; a bound on a metric without data does not hold.
      if (metrics.every((m) => m.value === null)) return { value: null, label: 'no data', pass: null };
      const byId = new Map(metrics.map((m) => [m.id, m.value]));
      for (const c of o.classes) {
        const ok = Object.entries(c.bounds).every(([id, b]) => {
          const v = byId.get(id);
          return v !== null && v !== undefined && holds(b, v);
        });
        if (ok) return { value: null, label: c.label, pass: c.pass };
      }
      return { value: null, label: 'no class', pass: false };
    }
  }
}
