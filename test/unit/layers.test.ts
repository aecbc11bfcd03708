/**
 * Imports only run down the layers (issue 11): a folder may import its own files and folders of a lower
 * rank, never one of the same or a higher rank. The ranks are docs/architecture.md's picture; a new folder
 * must be given one here (the test fails on a folder it does not know).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');

/** Lower imports from nothing above it. core/ (errors, schema, samples, the config reader, format names) is the ground floor. */
export const LAYERS: Record<string, number> = {
  'version.ts': 1,
  core: 0,
  net: 1,
  stamp: 1,
  stats: 1,
  probes: 2,
  serve: 2,
  records: 3,
  host: 3,
  quality: 3,
  monitoring: 3,
  config: 4,
  output: 4,
  spool: 5,
  run: 5,
  schedule: 5,
  report: 6,
  monitor: 7,
  app: 8,
  cli: 9,
  'index.ts': 10,
};

/**
 * Imports the ranks allow but the design does not (issue 20): the monitor measures through the probes' sessions
 * (never its own sockets, DNS or STAMP codec) and rates by quality/, not report/; probes return samples and
 * the maths comes after them (records/, stats/ applied by the caller); cli/ calls the application (app/) and
 * never the folders app/ drives.
 */
export const NEVER: readonly [from: string, to: string, why: string][] = [
  ['monitor', 'net', 'one engine: the monitor measures through probes/ sessions'],
  ['monitor', 'stamp', 'one engine: the monitor measures through probes/ sessions'],
  ['monitor', 'report', 'quality profiles sit below both, in quality/'],
  ['probes', 'stats', 'probes return samples; the maths comes after them'],
  // cli/ parses flags and renders; what a command does is the application's (app/), which owns these below it.
  ['cli', 'spool', 'the spool, push and requeue are driven from app/ (push.ts, spool.ts, unattended.ts)'],
  ['cli', 'serve', 'the server is started and kept by app/serve.ts (and app/demo.ts)'],
  ['cli', 'schedule', 'the schedule text is app/schedule.ts'],
  ['cli', 'run', 'the runner is driven from app/run.ts'],
  ['cli', 'output', 'sinks are opened by app/'],
  ['cli', 'host', "the run's context is gathered by app/run.ts"],
  ['cli', 'records', 'records are assembled below app/'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The top-level entry of src/ a path belongs to: its folder, or the file's own name. */
const unitOf = (abs: string) => (relative(SRC, abs).split('/')[0] as string).replace(/\.js$/, '.ts');

/** Every relative import (static, type-only and dynamic) of a source text. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) out.push(m[1] as string);
  return out;
}

describe('layering', () => {
  it('finds static, type-only and dynamic imports (the checker itself)', () => {
    expect(importsOf(`import { a } from '../x.js';\nimport type { B } from "./y.js";\nconst c = await import('../z.js');\nimport './side.js';`)).toEqual(['../x.js', './y.js', '../z.js', './side.js']);
  });

  it('no import runs back up the layers', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = unitOf(file);
      const rank = LAYERS[from];
      if (rank === undefined) {
        violations.push(`${relative(SRC, file)}: src/${from} has no layer in test/unit/layers.test.ts`);
        continue;
      }
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = unitOf(resolve(dirname(file), spec));
        if (to === from) continue;
        const toRank = LAYERS[to];
        if (toRank === undefined || toRank >= rank) violations.push(`src/${relative(SRC, file)} (${from}, layer ${rank}) imports ${spec} (${to}, layer ${toRank ?? '?'})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('none of the imports the design forbids (NEVER)', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = unitOf(file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = unitOf(resolve(dirname(file), spec));
        const never = NEVER.find(([f, t]) => f === from && t === to);
        if (never) violations.push(`src/${relative(SRC, file)} imports ${spec}: ${never[2]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no import circle between files (type-only and dynamic imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(SRC)) graph.set(file, importsOf(readFileSync(file, 'utf8')).map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts')));
    const circles: string[] = [];
    // Depth-first search; a back edge to a file still on the path closes a circle.
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      path.push(f);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 'open') circles.push([...path.slice(path.indexOf(g)), g].map((x) => relative(SRC, x)).join(' → '));
        else if (!state.has(g) && graph.has(g)) visit(g);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(circles).toEqual([]);
  });
});
