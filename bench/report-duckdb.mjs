#!/usr/bin/env node
/**
 * `qosprobe report` against DuckDB on a simulated month of a national fleet (issue 23):
 * bench/fleet-month.mjs (3,006 sites, 1,082,160 records by default) as CSV files and as NDJSON
 * files; `qosprobe report DIR --by location --format json` against bench/duckdb-fleet.mjs (the
 * same per-group figures in SQL, every column typed by an explicit schema), in alternating
 * rounds, each under /usr/bin/time -v (wall time, user and system CPU, peak RSS). Reports the
 * median round per tool and set, the ratios qosprobe / DuckDB, the load average, and checks
 * that every figure agrees: counts exactly, means to 1e-9, quantiles exactly where qosprobe says
 * `exact` and within the sketch's 0.5 % elsewhere (one more pair of runs at --by province, where
 * groups pass 1,024 values).
 *
 *   npm run build && node bench/report-duckdb.mjs [--rounds 3] [--sets csv,ndjson] [--sites 3006] [--write]
 *
 * --write replaces the "Report at national scale vs DuckDB" section of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const ROUNDS = Number(arg('rounds', 3));
const SETS = arg('sets', 'csv,ndjson').split(',');
const SITES = arg('sites', '3006');
const WRITE = process.argv.includes('--write');
const OUT = join(ROOT, 'bench/out/fleet');

if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}
let duckVersion;
try {
  const { createRequire } = await import('node:module');
  duckVersion = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@duckdb/node-api/package.json'), 'utf8')).version;
} catch {
  console.error('@duckdb/node-api is not installed (npm install): nothing to compare with');
  process.exit(2);
}

const gen = spawnSync(process.execPath, [join(ROOT, 'bench/fleet-month.mjs'), '--sites', SITES, '--out', OUT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (gen.status !== 0) process.exit(1);
const fleet = JSON.parse(gen.stdout);

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, QOSPROBE_GATEWAY_PING: '0' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const num = (re) => Number(re.exec(r.stderr)?.[1]);
  return {
    seconds: Number(wall?.[1] ?? 0) * 3600 + Number(wall?.[2]) * 60 + Number(wall?.[3]),
    userS: num(/User time \(seconds\): ([\d.]+)/),
    sysS: num(/System time \(seconds\): ([\d.]+)/),
    rssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    stdout: r.stdout,
  };
}
const qosprobe = (set, by) => [join(ROOT, 'bin/qosprobe.js'), 'report', join(OUT, set), '--by', by, '--format', 'json'];
const duckdb = (set, by) => [join(ROOT, 'bench/duckdb-fleet.mjs'), set, join(OUT, set), '--by', by];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Every figure of every group, qosprobe's JSON against DuckDB's rows. */
function compare(qJson, dJson) {
  const q = JSON.parse(qJson);
  const d = new Map(JSON.parse(dJson).map((r) => [r.key, r]));
  const worst = { mean: 0, exactQuantile: 0, sketchQuantile: 0 };
  const bad = [];
  let groups = 0;
  for (const g of q.groups) {
    const key = Object.values(g.key)[0];
    const r = d.get(key);
    if (!r) {
      bad.push(`${key}: not in DuckDB's result`);
      continue;
    }
    groups++;
    for (const k of ['records', 'ok', 'partial', 'error']) if (g[k] !== r[k]) bad.push(`${key} ${k}: ${g[k]} vs ${r[k]}`);
    for (const [id, m] of Object.entries(g.metrics)) {
      const tail = id.endsWith('_bps') ? 'p10' : 'p95';
      if (m.n !== r[`${id}_n`]) bad.push(`${key} ${id} n: ${m.n} vs ${r[`${id}_n`]}`);
      const rel = (a, b) => (a === b ? 0 : a === null || b === null ? Infinity : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300));
      for (const [mine, theirs] of [
        ['min', 'min'],
        ['max', 'max'],
      ])
        if (rel(m[mine], r[`${id}_${theirs}`]) > 0) bad.push(`${key} ${id} ${mine}: ${m[mine]} vs ${r[`${id}_${theirs}`]}`);
      worst.mean = Math.max(worst.mean, rel(m.mean, r[`${id}_mean`]));
      for (const [mine, theirs] of [
        ['median', 'median'],
        [tail, 'tail'],
      ]) {
        const e = rel(m[mine], r[`${id}_${theirs}`]);
        if (m.exact) worst.exactQuantile = Math.max(worst.exactQuantile, e);
        else worst.sketchQuantile = Math.max(worst.sketchQuantile, e);
      }
    }
  }
  if (worst.mean > 1e-9) bad.push(`a mean differs by ${worst.mean}`);
  if (worst.exactQuantile > 1e-9) bad.push(`an exact quantile differs by ${worst.exactQuantile}`);
  if (worst.sketchQuantile > 0.005 + 1e-12) bad.push(`a sketch quantile differs by ${worst.sketchQuantile} (bound 0.005)`);
  if (groups !== d.size) bad.push(`DuckDB has ${d.size} groups, qosprobe ${groups}`);
  return { groups, worst, bad };
}

const loadBefore = loadavg()[0];
const results = {};
for (const set of SETS) {
  const dir = join(OUT, set);
  const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
  const runs = { qosprobe: [], duckdb: [] };
  let check;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first: a warm page cache favours neither.
    const order = round % 2 === 0 ? ['qosprobe', 'duckdb'] : ['duckdb', 'qosprobe'];
    const got = {};
    for (const tool of order) {
      got[tool] = timed(process.execPath, tool === 'qosprobe' ? qosprobe(set, 'location') : duckdb(set, 'location'));
      runs[tool].push(got[tool]);
    }
    if (round === 0) check = compare(got.qosprobe.stdout, got.duckdb.stdout);
    const f = (t) => `${t.seconds.toFixed(2)} s (user ${t.userS.toFixed(1)}, sys ${t.sysS.toFixed(1)}) ${t.rssMb.toFixed(0)} MB`;
    console.error(`${set} round ${round + 1}: qosprobe ${f(got.qosprobe)}; duckdb ${f(got.duckdb)}; load ${loadavg()[0].toFixed(1)}`);
  }
  const sum = (tool) => ({
    seconds: median(runs[tool].map((r) => r.seconds)),
    min: Math.min(...runs[tool].map((r) => r.seconds)),
    max: Math.max(...runs[tool].map((r) => r.seconds)),
    userS: median(runs[tool].map((r) => r.userS)),
    sysS: median(runs[tool].map((r) => r.sysS)),
    rssMb: Math.max(...runs[tool].map((r) => r.rssMb)),
  });
  results[set] = { mb: bytes / 1e6, files: readdirSync(dir).length, qosprobe: sum('qosprobe'), duckdb: sum('duckdb'), check };
}
// The sketch's side: at --by province groups hold far more than 1,024 values.
const pq = timed(process.execPath, qosprobe(SETS[0], 'province'));
const pd = timed(process.execPath, duckdb(SETS[0], 'province'));
const provinceCheck = compare(pq.stdout, pd.stdout);
// The HTML page at --by location (series and sites collected, the page built): its peak RSS and size, which the issue holds to 300 MB and 3 MB.
const hq = timed(process.execPath, [join(ROOT, 'bin/qosprobe.js'), 'report', join(OUT, SETS[0]), '--by', 'location', '--format', 'html']);
const html = { set: SETS[0], seconds: hq.seconds, rssMb: hq.rssMb, pageMb: Buffer.byteLength(hq.stdout) / 1e6 };
console.error(`html (${SETS[0]}, --by location): ${hq.seconds.toFixed(2)} s, ${hq.rssMb.toFixed(0)} MB peak RSS, page ${html.pageMb.toFixed(2)} MB`);
const loadAfter = loadavg()[0];

const out = { fleet, rounds: ROUNDS, loadBefore, loadAfter, cpus: cpus().length, node: process.version, duckdb: duckVersion, results, provinceCheck: { ...provinceCheck, qosprobeS: pq.seconds, duckdbS: pd.seconds }, html };
console.log(JSON.stringify(out, null, 2));

let failed = provinceCheck.bad.length > 0;
for (const set of SETS) if (results[set].check.bad.length) failed = true;
if (failed) {
  console.error('figures disagree:', JSON.stringify([provinceCheck.bad, ...SETS.map((s) => results[s].check.bad)]).slice(0, 4000));
  process.exitCode = 1;
}

if (WRITE) {
  const doc = join(ROOT, 'docs/benchmarks.md');
  const text = readFileSync(doc, 'utf8');
  const row = (set) => {
    const r = results[set];
    const q = r.qosprobe;
    const d = r.duckdb;
    return `| ${set.toUpperCase()} (${r.files} files, ${(r.mb / 1e3).toFixed(2)} GB) | ${q.seconds.toFixed(2)} (${q.min.toFixed(2)}–${q.max.toFixed(2)}; user ${q.userS.toFixed(1)}, sys ${q.sysS.toFixed(1)}) | ${d.seconds.toFixed(2)} (${d.min.toFixed(2)}–${d.max.toFixed(2)}; user ${d.userS.toFixed(1)}, sys ${d.sysS.toFixed(1)}) | ${(q.seconds / d.seconds).toFixed(2)}× | ${q.rssMb.toFixed(0)} / ${d.rssMb.toFixed(0)} |`;
  };
  const checks = SETS.map((s) => {
    const c = results[s].check;
    return `${s}: ${c.groups} groups, ${c.bad.length === 0 ? 'all agree' : `${c.bad.length} disagreements`} (largest relative difference: mean ${c.worst.mean.toExponential(1)}, exact quantiles ${c.worst.exactQuantile.toExponential(1)}, sketch quantiles ${c.worst.sketchQuantile.toExponential(1)})`;
  }).join('; ');
  const section = `## Report at national scale vs DuckDB

A simulated month of a fleet (\`bench/fleet-month.mjs\`): ${fleet.sites} sites at ${fleet.codes} village and district codes of ${fleet.provinces} provinces, ${fleet.records.toLocaleString('en')} records (${fleet.ok.toLocaleString('en')} ok, ${fleet.partial.toLocaleString('en')} partial, ${fleet.error.toLocaleString('en')} error; ${fleet.dead} dead sites, flaky and heavy-loss sites, DNS failures, names with commas and quotes), written by qosprobe's own writers as ${fleet.files} CSV files and the same records as ${fleet.files} NDJSON files. \`qosprobe report DIR --by location --format json\` (TIPHON rating included) against \`bench/duckdb-fleet.mjs\`: the same per-group figures in DuckDB ${duckVersion} SQL (\`read_csv\`/\`read_json\` with every column typed by an explicit schema; \`count\`, \`avg\`, \`quantile_cont\`, \`min\`, \`max\` per metric with the report's filters). ${out.cpus} CPUs, Node ${out.node}; median of ${ROUNDS} alternating rounds (min–max in brackets), wall time, CPU and peak RSS from \`/usr/bin/time -v\`. Load average ${loadBefore.toFixed(1)} when the rounds started and ${loadAfter.toFixed(1)} at the end: the machine was shared with other jobs, which inflates every wall time; compare the ratios and CPU times.
Measured ${new Date().toISOString().slice(0, 10)} with \`npm run build && node bench/report-duckdb.mjs --rounds ${ROUNDS} --write\`.

| set | qosprobe wall s (range; CPU s) | DuckDB wall s (range; CPU s) | qosprobe / DuckDB | peak RSS MB (qosprobe / DuckDB) |
| --- | ---: | ---: | ---: | ---: |
${SETS.map(row).join('\n')}

Every figure agrees: ${checks}. At \`--by province\` (${provinceCheck.groups} groups, past the sketch's 1,024 exact values): ${provinceCheck.bad.length === 0 ? 'all agree' : `${provinceCheck.bad.length} disagreements`}, largest relative difference of a sketch quantile ${provinceCheck.worst.sketchQuantile.toExponential(1)} (bound 5e-3), of a mean ${provinceCheck.worst.mean.toExponential(1)}.

The HTML page of the ${html.set.toUpperCase()} set (\`qosprobe report DIR --by location --format html\`, one run after the rounds): peak RSS ${html.rssMb.toFixed(0)} MB, page ${html.pageMb.toFixed(2)} MB, ${html.seconds.toFixed(2)} s.
`;
  const start = text.indexOf('## Report at national scale vs DuckDB');
  let next;
  if (start === -1) next = text.replace('## Throughput on loopback', section + '\n## Throughput on loopback');
  else {
    const end = text.indexOf('\n## ', start + 3);
    next = text.slice(0, start) + section + (end === -1 ? '' : text.slice(end + 1));
  }
  writeFileSync(doc, next);
  console.error('docs/benchmarks.md updated');
}
