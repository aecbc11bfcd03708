/**
 * Path-aware reading of untrusted config values. Every failure names the file, the field
 * path (endpoints[1].tests[0].port), what was expected and what was found.
 */
import { resolve } from 'node:path';
import { QosError } from './errors.js';
import { concat, phrase, same, say, type Localized } from './messages.js';

export type Obj = Record<string, unknown>;

export class ConfigReader {
  /** baseDir: where relative paths in the values resolve (the config file's directory); null leaves them as written. */
  constructor(
    readonly file: string,
    readonly baseDir: string | null = null,
  ) {}

  fail(path: string, expected: string | Localized, found: unknown): never {
    this.invalid(path, say('expectedFound', phrase(expected), describeIn(found)));
  }

  /** A failure whose detail already says what was expected and found (a domain parser's reason). */
  invalid(path: string, detail: string | Localized): never {
    throw new QosError('CONFIG_INVALID', concat(same(`${this.file}: `), path ? same(path) : say('topLevel'), same(': '), phrase(detail)));
  }

  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'a mapping (key: value)', v);
    return v as Obj;
  }

  optObj(v: unknown, path: string): Obj | undefined {
    return v === undefined || v === null ? undefined : this.obj(v, path);
  }

  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'a list', v);
    return v as unknown[];
  }

  str(v: unknown, path: string, opts: { nonEmpty?: boolean } = {}): string {
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v); // YAML reads 32 as a number
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    const s = v as string;
    if (opts.nonEmpty !== false && s.trim() === '') this.fail(path, 'a non-empty string', v);
    return s;
  }

  optStr(v: unknown, path: string): string | undefined {
    return v === undefined || v === null ? undefined : this.str(v, path);
  }

  /**
   * A file path. A relative one resolves against baseDir, the config file's directory: a cron job's cwd is $HOME,
   * and the file should mean the same wherever it is run from. `-` (stdout) stays as it is.
   */
  optPath(v: unknown, path: string): string | undefined {
    const s = this.optStr(v, path);
    return s === undefined || s === '-' || this.baseDir === null ? s : resolve(this.baseDir, s);
  }

  num(v: unknown, path: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
    const ok = typeof v === 'number' && Number.isFinite(v);
    const what = describeRange(opts);
    if (!ok) this.fail(path, what, v);
    const n = v as number;
    if (opts.integer && !Number.isInteger(n)) this.fail(path, what, v);
    if (opts.min !== undefined && n < opts.min) this.fail(path, what, v);
    if (opts.max !== undefined && n > opts.max) this.fail(path, what, v);
    return n;
  }

  optNum(v: unknown, path: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    return v === undefined || v === null ? undefined : this.num(v, path, opts);
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v as boolean;
  }

  optBool(v: unknown, path: string): boolean | undefined {
    return v === undefined || v === null ? undefined : this.bool(v, path);
  }

  oneOf<T extends string>(v: unknown, path: string, choices: readonly T[]): T {
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) this.fail(path, say('oneOf', choices.join(', ')), v);
    return v as T;
  }

  /** Reject keys we don't know: a typo (`interval: 200`) must not be silently ignored. */
  onlyKeys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        const hint = closest(k, allowed);
        throw new QosError('CONFIG_INVALID', concat(same(`${this.file}: ${join(path, k)}: `), say('unknownField', hint ?? '', allowed.join(', '))));
      }
    }
  }
}

/**
 * Command-line values read with the config's rules, so a flag and a config field have one definition and the same
 * bounds. A failure is a usage error (exit 2) naming the flag, not the config path.
 */
export class FlagReader extends ConfigReader {
  /** cwd: relative paths on the command line resolve against the working directory, as a shell user expects. */
  constructor(
    private readonly flagOf: (field: string) => string,
    cwd: string | null = null,
  ) {
    super('command line', cwd);
  }

  override fail(path: string, expected: string | Localized, found: unknown): never {
    const field = path.split('.').pop() ?? path;
    throw new QosError('USAGE', concat(same(`${this.flagOf(field)}: `), say('expectedFound', phrase(expected), describeIn(found))));
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describeRange(o: { min?: number; max?: number; integer?: boolean }): Localized {
  const kind = say(o.integer ? 'anInteger' : 'aNumber');
  if (o.min !== undefined && o.max !== undefined) return say('fromTo', kind, String(o.min), String(o.max));
  if (o.min !== undefined) return concat(kind, same(` ≥ ${o.min}`));
  if (o.max !== undefined) return concat(kind, same(` ≤ ${o.max}`));
  return kind;
}

/** What was found, as an error message shows it (English). */
export function describe(v: unknown): string {
  return describeIn(v).en;
}

function describeIn(v: unknown): Localized {
  if (v === undefined) return say('missing');
  if (v === null) return same('null');
  if (Array.isArray(v)) return say('aList');
  if (typeof v === 'object') return say('aMapping');
  if (typeof v === 'string') return same(JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v));
  return say('typed', typeof v, String(v));
}

/** The allowed name closest to a typo, by edit distance, if it is close enough to be a typo. */
function closest(word: string, options: readonly string[]): string | undefined {
  // `interval` for `interval_ms`: a missing unit suffix is the commonest slip.
  const prefixed = options.find((o) => o.startsWith(word + '_'));
  if (prefixed) return prefixed;
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}
