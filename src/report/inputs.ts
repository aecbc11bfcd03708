/**
 * The inputs of `qosprobe report`: command-line arguments (files, directories, globs, `-` for
 * stdin) to sources, and a source's format sniffed from its first line. read.ts reads the rows.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { QosError } from '../core/errors.js';
import { say } from '../core/messages.js';

export interface InputSource {
  /** Shown in issues: a path relative to the working directory, or "-" for stdin. */
  name: string;
  open(): Readable;
}

export type InputFormat = 'csv' | 'ndjson' | 'json';

/**
 * A source's format from its text, leading blanks removed: the first non-blank character `{` with
 * a first line that is a whole JSON object without a `results` array → NDJSON; any other `{` or
 * `[` → one JSON document; else CSV.
 */
export function sniffFormat(trimmed: string): InputFormat {
  const c = trimmed[0];
  if (c === '[') return 'json';
  if (c !== '{') return 'csv';
  const nl = trimmed.indexOf('\n');
  const first = (nl === -1 ? trimmed : trimmed.slice(0, nl)).trim();
  try {
    const v: unknown = JSON.parse(first);
    if (typeof v === 'object' && v !== null && !Array.isArray((v as { results?: unknown }).results)) return 'ndjson';
    return 'json';
  } catch {
    // a first line that is not a whole object: a pretty-printed document, or a broken one
    return nl === -1 ? 'ndjson' : 'json';
  }
}

const RESULT_EXT = /\.(csv|ndjson|jsonl|json)$/i;

/**
 * Turn command-line inputs into sources, in the order given (each directory and glob sorted):
 * `-` is stdin; a directory contributes every *.csv, *.ndjson, *.jsonl and *.json under it;
 * a pattern with `*`, `?` or `**` is expanded here (Node 20 has no fs.glob, and a quoted
 * pattern reaches us unexpanded). A path or pattern that matches nothing is a usage error.
 */
export async function expandInputs(args: readonly string[], cwd: string, stdin: () => Readable): Promise<InputSource[]> {
  const out: InputSource[] = [];
  const seen = new Set<string>();
  const addFile = (abs: string): void => {
    if (seen.has(abs)) return;
    seen.add(abs);
    const rel = relative(cwd, abs);
    out.push({ name: rel === '' || rel.startsWith('..') ? abs : rel, open: () => createReadStream(abs, { highWaterMark: 1 << 20 }) });
  };
  for (const arg of args) {
    if (arg === '-') {
      out.push({ name: '-', open: stdin });
      continue;
    }
    if (/[*?]/.test(arg)) {
      const matches = await globFiles(arg, cwd);
      if (matches.length === 0) throw new QosError('USAGE', say('noFileMatches', arg));
      matches.forEach(addFile);
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
      const files = (await walk(abs)).filter((f) => RESULT_EXT.test(f));
      if (files.length === 0) throw new QosError('USAGE', say('noResultFiles', arg));
      files.forEach(addFile);
    } else addFile(abs);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** `*` and `?` within one path segment, `**` for any number of directories. Files only, sorted. */
export async function globFiles(pattern: string, cwd: string): Promise<string[]> {
  const abs = resolve(cwd, pattern);
  const segs = abs.split(sep);
  // The fixed prefix (no wildcard) is where the walk starts.
  let i = 0;
  while (i < segs.length && !/[*?]/.test(segs[i] as string)) i++;
  const base = segs.slice(0, i).join(sep) || sep;
  const rest = segs.slice(i);
  const res = rest.map((s) => (s === '**' ? null : new RegExp('^' + s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$')));
  const out: string[] = [];
  const step = async (dir: string, k: number): Promise<void> => {
    if (k === res.length) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const re = res[k];
    if (re === null) {
      if (k === res.length - 1) {
        for (const f of await walk(dir)) out.push(f); // a trailing ** : every file below
        return;
      }
      await step(dir, k + 1); // ** matching zero directories
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await step(join(dir, e.name), k);
      return;
    }
    for (const e of entries) {
      if (!re!.test(e.name)) continue;
      const p = join(dir, e.name);
      if (k === res.length - 1) {
        if (e.isFile()) out.push(p);
      } else if (e.isDirectory()) await step(p, k + 1);
    }
  };
  await step(base, 0);
  return [...new Set(out)].sort();
}
