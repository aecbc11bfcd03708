/**
 * Validate a parsed config document into a typed Config. Pure: no file or network
 * access. Every error names the file, the field path, what was expected and what was found.
 */
import { hostname } from 'node:os';
import { FORMAT_NAMES, type FormatName } from '../core/format-names.js';
import { PROBE_KINDS, probeFor } from '../probes/index.js';
import { isInterfaceName, type BaseSpec } from '../core/samples.js';
import { ConfigReader, join, type Obj } from '../core/config-reader.js';
import { BUILTIN_DEFAULTS, type Config, type Defaults, type EndpointConfig } from './types.js';
import { parseLocationCode } from './locations.js';
import { readMonitorConfig } from './monitor.js';
import { say } from '../core/messages.js';

const TOP = ['probe', 'location', 'defaults', 'interfaces', 'endpoints', 'output', 'monitor'] as const;
const COMMON_TEST_FIELDS = ['kind', 'count', 'interval_ms', 'timeout_ms', 'interface'] as const;

function readInterface(r: ConfigReader, v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  const name = r.str(v, path);
  if (!isInterfaceName(name)) r.fail(path, 'a network interface name (1-15 characters, no "/", ":" or spaces)', v);
  return name;
}

/** `interfaces:` — a list of interface names, or `auto` (every up interface with a default route: host/links.ts). */
export function readInterfaces(r: ConfigReader, v: unknown, path: string): string[] | 'auto' | null {
  if (v === undefined || v === null) return null;
  if (v === 'auto') return 'auto';
  if (typeof v === 'string') r.fail(path, 'auto or a list of interface names', v);
  const list = r.arr(v, path).map((x, i) => readInterface(r, x, join(path, i)) as string);
  if (list.length === 0) r.fail(path, 'auto or at least one interface name', v);
  const seen = new Set<string>();
  list.forEach((n, i) => {
    if (seen.has(n)) r.fail(join(path, i), 'an interface not listed before', n);
    seen.add(n);
  });
  return list;
}

/** baseDir: the config file's directory, against which its relative paths resolve (output.path, ca_file). */
export function validateConfig(doc: unknown, file: string, baseDir: string | null = null): Config {
  const r = new ConfigReader(file, baseDir);
  const root = doc === null || doc === undefined ? {} : r.obj(doc, '');
  r.onlyKeys(root, '', TOP);

  const probe = r.optObj(root.probe, 'probe') ?? {};
  r.onlyKeys(probe, 'probe', ['id']);
  const probeId = r.optStr(probe.id, 'probe.id') ?? hostname();

  const loc = r.optObj(root.location, 'location') ?? {};
  r.onlyKeys(loc, 'location', ['code', 'site', 'lat', 'lon']);
  const code = loc.code === undefined || loc.code === null ? undefined : readLocationCode(r, loc.code);

  const fileDefaults = readDefaults(r, r.optObj(root.defaults, 'defaults') ?? {}, 'defaults');

  const endpointsRaw = root.endpoints === undefined ? [] : r.arr(root.endpoints, 'endpoints');
  const names = new Set<string>();
  const endpoints: EndpointConfig[] = endpointsRaw.map((e, i) => {
    const path = join('endpoints', i);
    const eo = r.obj(e, path);
    r.onlyKeys(eo, path, ['name', 'host', 'interface', 'tests']);
    const endpointLink = readInterface(r, eo.interface, join(path, 'interface'));
    const host = r.str(eo.host, join(path, 'host'));
    const name = r.optStr(eo.name, join(path, 'name')) ?? host;
    if (names.has(name)) r.fail(join(path, 'name'), 'a name not used by another endpoint', name);
    names.add(name);
    const testsRaw = r.arr(eo.tests, join(path, 'tests'));
    if (testsRaw.length === 0) r.fail(join(path, 'tests'), 'at least one test', testsRaw);
    const tests = testsRaw.map((t, j) => readTestEntry(r, t, join(join(path, 'tests'), j), fileDefaults));
    // A test's own interface wins over its endpoint's.
    return { name, host, tests: endpointLink ? tests.map((t) => (t.bind ? t : { ...t, bind: { device: endpointLink } })) : tests };
  });

  const out = r.optObj(root.output, 'output') ?? {};
  r.onlyKeys(out, 'output', ['format', 'path', 'append']);
  const format: FormatName = out.format === undefined ? 'csv' : r.oneOf(out.format, 'output.format', FORMAT_NAMES);
  return {
    file,
    probeId,
    location: {
      code: code ?? null,
      site: r.optStr(loc.site, 'location.site') ?? null,
      lat: r.optNum(loc.lat, 'location.lat', { min: -90, max: 90 }) ?? null,
      lon: r.optNum(loc.lon, 'location.lon', { min: -180, max: 180 }) ?? null,
    },
    defaults: fileDefaults,
    interfaces: readInterfaces(r, root.interfaces, 'interfaces'),
    endpoints,
    output: {
      format,
      path: r.optPath(out.path, 'output.path') ?? null,
      append: r.optBool(out.append, 'output.append') ?? false,
    },
    monitor: readMonitorConfig(r, root.monitor),
  };
}

/** The count/interval/timeout fields that are set in `o` (unset ones are left out, so layers can merge). */
function readDefaults(r: ConfigReader, o: Obj, path: string): Partial<Defaults> {
  r.onlyKeys(o, path, ['count', 'interval_ms', 'timeout_ms']);
  const d: Partial<Defaults> = {
    count: r.optNum(o.count, join(path, 'count'), { integer: true, min: 1, max: 100_000 }),
    intervalMs: r.optNum(o.interval_ms, join(path, 'interval_ms'), { min: 1, max: 3_600_000 }),
    timeoutMs: r.optNum(o.timeout_ms, join(path, 'timeout_ms'), { min: 1, max: 600_000 }),
  };
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
}

/**
 * A test is a kind name (`icmp`) or a mapping (`{ kind: tcp, port: 8080, count: 10 }`). The one owner of the per-test
 * precedence, for `run` and the ad hoc commands alike (whose flags are the entry): built-in < the kind's own defaults
 * < the file's `defaults:` < the entry. The entry's count, interval_ms and timeout_ms have the same bounds as `defaults:`.
 */
export function readTestEntry(r: ConfigReader, raw: unknown, path: string, fileDefaults: Partial<Defaults>): BaseSpec {
  const o: Obj = typeof raw === 'string' ? { kind: raw } : r.obj(raw, path);
  const kindPath = typeof raw === 'string' ? path : join(path, 'kind');
  const kind = r.oneOf(o.kind, kindPath, PROBE_KINDS);
  const probe = probeFor(kind)!;
  r.onlyKeys(o, path, [...COMMON_TEST_FIELDS, ...probe.configKeys]);
  const base: Defaults = {
    ...BUILTIN_DEFAULTS,
    ...(probe.defaults ?? {}),
    ...fileDefaults,
    ...readDefaults(r, pick(o, ['count', 'interval_ms', 'timeout_ms']), path),
  };
  const device = readInterface(r, o.interface, join(path, 'interface'));
  const spec = probe.parse(o, { kind, ...base }, r, path);
  return device ? { ...spec, bind: { device } } : spec;
}

function pick(o: Obj, keys: readonly string[]): Obj {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/**
 * location.code must be a string. An unquoted YAML number has lost its text before we see it (32.10 is read as 32.1,
 * 32.730 as 32.73, 1.1e1 as 11), so any number is refused with the quoted form to write instead.
 */
function readLocationCode(r: ConfigReader, v: unknown): string {
  if (typeof v === 'number') {
    const s = String(v);
    // 32.1 was most likely written 32.10: every segment after the first has two digits or more.
    const meant = /^\d{2}\.\d$/.test(s) ? `${s}0` : s;
    r.invalid('location.code', say('locationNumber', s, meant));
  }
  const code = r.str(v, 'location.code');
  const parsed = parseLocationCode(code);
  if (!parsed.ok) r.invalid('location.code', parsed.text);
  return parsed.code;
}
