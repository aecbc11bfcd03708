#!/usr/bin/env node
// `qosprobe --version` answers without loading the CLI (a cron wrapper or an installer asks it often).
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version + '\n');
} else {
  // The one-file build of the CLI (scripts/bundle-cli.mjs) when it is at least as new as dist/ (a `tsc` run alone
  // leaves it behind); else the modules tsc wrote.
  const { statSync } = await import('node:fs');
  const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const bundled = mtime('../dist/bundle/cli.js') >= mtime('../dist/cli/main.js');
  const { main } = await import(bundled ? '../dist/bundle/cli.js' : '../dist/cli/main.js');
  await main(process.argv);
}
