/**
 * The receiver decides the format: a body in the wrong format is often answered 2xx and thrown
 * away (VictoriaMetrics' /write takes NDJSON with 204 and logs "cannot unmarshal"). So the
 * format follows the URL path wherever the path says which protocol it speaks, an explicit
 * format that contradicts it is a usage error, and a path that says nothing needs an explicit
 * format (no silent default). Pure: URL in, decision out.
 */
import { QosError } from '../core/errors.js';
import { PUSH_FORMATS, type PushFormat } from '../core/format-names.js';

export type ReceiverKind = 'influx' | 'vm-import' | 'vm-prometheus' | 'pushgateway' | 'unknown';

export interface PushTarget {
  format: PushFormat;
  kind: ReceiverKind;
  /**
   * Whether the body carries each record's time of measurement. false: the receiver stamps
   * samples when they arrive (Pushgateway, or Prometheus text to an unknown receiver), so a
   * record spooled long ago would land at the wrong time.
   */
  keepsTime: boolean;
  /** How the format was chosen, for messages. */
  why: string;
}

interface PathRule {
  kind: Exclude<ReceiverKind, 'unknown'>;
  match(path: string): boolean;
  format: PushFormat;
  keepsTime: boolean;
  speaks: string;
  /** The paths it matches, as help and messages show them. */
  shows: readonly string[];
}

/** Checked in order: the more specific suffix first. */
const RULES: readonly PathRule[] = [
  {
    kind: 'pushgateway',
    match: (p) => p.includes('/metrics/job/'),
    format: 'openmetrics',
    keepsTime: false,
    speaks: 'a Pushgateway group (Prometheus text, stamped when pushed)',
    shows: ['/metrics/job/...'],
  },
  {
    kind: 'vm-prometheus',
    match: (p) => p.endsWith('/api/v1/import/prometheus'),
    format: 'openmetrics',
    keepsTime: true,
    speaks: 'VictoriaMetrics Prometheus text import (with timestamps)',
    shows: ['/api/v1/import/prometheus'],
  },
  { kind: 'vm-import', match: (p) => p.endsWith('/api/v1/import'), format: 'vmimport', keepsTime: true, speaks: 'VictoriaMetrics JSON-line import', shows: ['/api/v1/import'] },
  {
    kind: 'influx',
    match: (p) => p.endsWith('/write'),
    format: 'influx',
    keepsTime: true,
    speaks: 'InfluxDB line protocol (InfluxDB, Telegraf, VictoriaMetrics)',
    shows: ['/write', '/api/v2/write'],
  },
];

/**
 * The recognised paths and the format each takes, from RULES: "/write, /api/v2/write (influx), ...".
 * push --help says the same in its own words (it loads no module for --help); a test compares them.
 */
export const RECOGNISED_PATHS = [...new Set([...RULES].reverse().map((r) => r.format))]
  .map((f) => `${[...RULES].reverse().filter((r) => r.format === f).flatMap((r) => r.shows).join(', ')} (${f})`)
  .join(', ');

/** Paths whose protocol we recognise but do not produce: a clear refusal beats a 2xx that stores nothing. */
const UNSUPPORTED: readonly { match(path: string): boolean; speaks: string }[] = [
  { match: (p) => /\/api\/v1\/import\/(csv|native)$/.test(p), speaks: 'a VictoriaMetrics CSV/native import' },
  { match: (p) => /\/api\/v1\/(write|push)$/.test(p), speaks: 'Prometheus remote write (protobuf)' },
];

export const FORMAT_HINT = PUSH_FORMATS.join(' | ');

/**
 * The format to push to `url`. `flag` names the option in messages (--format for push,
 * --push-format for run and schedule). Throws QosError USAGE (exit 2) on a contradiction, an
 * unsupported path, or a path that does not say and no explicit format.
 */
export function resolvePushTarget(url: URL, explicit: PushFormat | undefined, flag: string): PushTarget {
  const path = url.pathname.replace(/\/+$/, '');
  const bad = UNSUPPORTED.find((u) => u.match(path));
  if (bad) throw new QosError('USAGE', `${url.pathname} is ${bad.speaks}, which qosprobe does not produce; use /write (Influx), /api/v1/import or /api/v1/import/prometheus`);
  const rule = RULES.find((r) => r.match(path));
  if (rule) {
    if (explicit !== undefined && explicit !== rule.format) {
      throw new QosError('USAGE', `${flag} ${explicit} contradicts the URL: ${url.pathname} is ${rule.speaks}, which takes ${rule.format}; drop ${flag} or fix the URL`);
    }
    return { format: rule.format, kind: rule.kind, keepsTime: rule.keepsTime, why: `${url.pathname} is ${rule.speaks}` };
  }
  if (explicit === undefined) {
    throw new QosError(
      'USAGE',
      `cannot tell from the path ${url.pathname || '/'} which format the receiver takes: give ${flag} ${FORMAT_HINT} ` +
        `(a wrong guess is often answered 2xx and dropped). Recognised paths: ${RECOGNISED_PATHS}`,
    );
  }
  // Unknown receiver: Prometheus text goes without timestamps (Pushgateway and node_exporter refuse them).
  return { format: explicit, kind: 'unknown', keepsTime: explicit !== 'openmetrics', why: `${flag} ${explicit}` };
}

/** The URL as it may be printed: no credentials, no query (InfluxDB 1.x takes `p=password` there). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
