#!/usr/bin/env node
/**
 * Bundles the built CLI (dist/cli/main.js and everything it imports from dist/) into one file,
 * dist/bundle/cli.js, which bin/qosprobe.js loads, and the report's reader thread (dist/report/read-worker.js, which
 * report/parallel.ts starts from beside its own module) into dist/bundle/read-worker.js. Why: Node resolves, reads and links each ES module
 * on its own, and a one-packet test loaded 99 of them, about a fifth of its CPU time at start
 * (docs/benchmarks.md, "Start-up"). Packages from node_modules stay external (resolved as usual), and
 * modules the code imports lazily are still evaluated only when first used.
 *
 * Run by `npm run build` (and so `npm ci`'s prepare and `npm test`) after tsc. The bundle sits two levels
 * below the package root, like every dist/ module, so src/core/package-root.ts finds data/ and native/.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'dist/cli/main.js', 'read-worker': 'dist/report/read-worker.js' },
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
});
