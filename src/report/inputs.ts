/**
 * The inputs of `qosprobe report`: command-line arguments (files, directories, globs, `-` for
 * stdin) to sources, and a source's format sniffed from its first line. read.ts reads the rows.
 */
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { QosError } from '../core/errors.js';
import { say } from '../core/messages.js';

export interface InputSource {
  /** Shown in issues: a path relative to the working directory, or "-" for stdin. */
  name: string;
  open(): Readable;
  /** The file's path, when the source is a file (it can then be read in a worker thread). */
  path?: string;
}

export type InputFormat = 'csv' | 'ndjson' | 'json';

/**
 * A source's format from its first lines, leading blanks removed: the first non-blank character
 * `[` → one JSON document; `{` with a first line that is a whole JSON object → NDJSON, or one JSON
 * document when that object has a `results` array; `{` with one line only, not a whole object →
 * a JSON document if it has a `"results":` key (a record never has), else NDJSON; `{` with a
 * first line that is not a whole object → NDJSON when a later line (of the first few given) is a record at the line's start, as
 * after a torn first record (only that line is lost then), else one JSON document (pretty-printed:
 * its records are indented); anything else → CSV.
 */
export function sniffFormat(trimmed: string): InputFormat {
  const c = trimmed[0];
  if (c === '[') return 'json';
  if (c !== '{') return 'csv';
  const lines = trimmed.split('\n', 9);
  const first = jsonObject(lines[0] as string);
  if (first !== null) return Array.isArray(first.results) ? 'json' : 'ndjson';
  // One line, not a whole object: a torn record, or a document on one line longer than what was sniffed.
  if (lines.length === 1) return /"results"\s*:/.test(lines[0] as string) ? 'json' : 'ndjson';
  for (const l of lines.slice(1)) {
    if (l.charCodeAt(0) !== 123 /* { */) continue;
    const v = jsonObject(l);
    if (v !== null && 'schema_version' in v && !Array.isArray(v.results)) return 'ndjson';
  }
  return 'json';
}

function jsonObject(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const RESULT_EXT = /\.(csv|ndjson|jsonl|json)$/i;

/**
 * Turn command-line inputs into sources, in the order given (each directory and glob sorted):
 * `-` is stdin; a directory contributes every *.csv, *.ndjson, *.jsonl and *.json under it;
 * a pattern with `*`, `?` or `**` is expanded here (Node 20 has no fs.glob, and a quoted
 * pattern reaches us unexpanded). A path or pattern that matches nothing is a usage error.
 * Symbolic links to files and directories are followed; a file reached twice (by two paths,
 * or through a link) is read once; a link back to a directory being walked (a loop) and a
 * link to nothing are not followed, and `warn` says so.
 */
export async function expandInputs(args: readonly string[], cwd: string, stdin: () => Readable, warn: (message: string) => void = () => {}): Promise<InputSource[]> {
  const out: InputSource[] = [];
  const seen = new Set<string>();
  const walker = new Walker(cwd, warn);
  const addFile = async (path: string): Promise<void> => {
    // A file is known by its real path (two links to one file are one file) and shown by the path that reached it.
    const real = await realpath(path).catch(() => path);
    if (seen.has(real)) return;
    seen.add(real);
    out.push({ name: walker.shown(path), path, open: () => createReadStream(path, { highWaterMark: 1 << 20 }) });
  };
  for (const arg of args) {
    if (arg === '-') {
      out.push({ name: '-', open: stdin });
      continue;
    }
    if (/[*?]/.test(arg)) {
      const matches = await globFiles(arg, cwd, walker);
      if (matches.length === 0) throw new QosError('USAGE', say('noFileMatches', arg));
      for (const m of matches) await addFile(m);
      continue;
    }
    const abs = resolve(cwd, arg);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new QosError('USAGE', say('noSuchFile', arg));
    }
    if (st.isDirectory()) {
      const files = (await walker.walk(abs)).filter((f) => RESULT_EXT.test(f));
      if (files.length === 0) throw new QosError('USAGE', say('noResultFiles', arg));
      for (const f of files) await addFile(f);
    } else await addFile(abs);
  }
  return out;
}

/** What a directory entry is, a symbolic link followed: a file, a directory, or null (a dangling link, a socket...). */
type Kind = 'file' | 'dir' | null;

/** Directory walks that follow symbolic links and never loop. */
class Walker {
  constructor(
    readonly cwd: string,
    readonly warn: (message: string) => void,
  ) {}

  async kind(dir: string, e: Dirent): Promise<Kind> {
    if (e.isFile()) return 'file';
    if (e.isDirectory()) return 'dir';
    if (!e.isSymbolicLink()) return null;
    const p = join(dir, e.name);
    try {
      const st = await stat(p);
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : null;
    } catch (err) {
      this.warn(`${this.shown(p)}: a symbolic link to nothing (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): skipped`);
      return null;
    }
  }

  shown(p: string): string {
    const rel = relative(this.cwd, p);
    return rel === '' || rel.startsWith('..') ? p : rel;
  }

  /**
   * Every file under `dir`, sorted by name, through links. `ancestors`: the real paths of the
   * directories being walked; a link to one of them is a loop and is not followed.
   */
  async walk(dir: string, ancestors: ReadonlySet<string> = new Set()): Promise<string[]> {
    const real = await realpath(dir);
    if (ancestors.has(real)) {
      this.warn(`${this.shown(dir)}: a symbolic link back to ${this.shown(real)}, which is being read already (a loop): not followed`);
      return [];
    }
    const inside = new Set(ancestors).add(real);
    const out: string[] = [];
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      const k = await this.kind(dir, e);
      if (k === 'dir') out.push(...(await this.walk(p, inside)));
      else if (k === 'file') out.push(p);
    }
    return out;
  }
}

/** `*` and `?` within one path segment, `**` for any number of directories. Files only, sorted. */
export async function globFiles(pattern: string, cwd: string, walker = new Walker(cwd, () => {})): Promise<string[]> {
  const abs = resolve(cwd, pattern);
  const segs = abs.split(sep);
  // The fixed prefix (no wildcard) is where the walk starts.
  let i = 0;
  while (i < segs.length && !/[*?]/.test(segs[i] as string)) i++;
  const base = segs.slice(0, i).join(sep) || sep;
  const rest = segs.slice(i);
  const res = rest.map((s) => (s === '**' ? null : new RegExp('^' + s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$')));
  const out: string[] = [];
  const step = async (dir: string, k: number, ancestors: ReadonlySet<string>): Promise<void> => {
    if (k === res.length) return;
    const real = await realpath(dir).catch(() => dir);
    if (ancestors.has(real)) {
      walker.warn(`${walker.shown(dir)}: a symbolic link back to ${walker.shown(real)}, which is being read already (a loop): not followed`);
      return;
    }
    const inside = new Set(ancestors).add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const re = res[k];
    if (re === null) {
      if (k === res.length - 1) {
        for (const f of await walker.walk(dir, ancestors)) out.push(f); // a trailing ** : every file below
        return;
      }
      await step(dir, k + 1, ancestors); // ** matching zero directories
      for (const e of entries) if (!e.name.startsWith('.') && (await walker.kind(dir, e)) === 'dir') await step(join(dir, e.name), k, inside);
      return;
    }
    for (const e of entries) {
      if (!re!.test(e.name)) continue;
      const p = join(dir, e.name);
      const kind = await walker.kind(dir, e);
      if (k === res.length - 1) {
        if (kind === 'file') out.push(p);
      } else if (kind === 'dir') await step(p, k + 1, inside);
    }
  };
  await step(base, 0, new Set());
  return [...new Set(out)].sort();
}
