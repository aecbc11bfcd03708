#!/usr/bin/env node
/**
 * `qosprobe report` against Miller on the same file: 1,000,000 result rows (schema v1 CSV) over
 * the 514 regencies/cities of the bundled region table, aggregated by location.
 *
 *   npm run build && node bench/report-vs-miller.mjs [--rows 1000000] [--rounds 3] [--write] [--no-screenshot]
 *
 * Both tools run under /usr/bin/time -v (wall time and peak RSS), alternating, `--rounds` times;
 * the median round is reported. Miller computes count, mean, p50, p95 of rtt_median_ms per
 * location_code (its p50/p95 are non-interpolated; qosprobe's are type 7 and it also computes
 * jitter, loss, throughput, availability and the TIPHON rating). A second Miller run with `-i`
 * (interpolated percentiles, the same type 7 definition) is used to check the numbers agree.
 * DuckDB's CSV reader (@duckdb/node-api, a dev dependency, bench/duckdb-latency.mjs) runs in the
 * same alternating rounds computing the same per-location count, mean and type 7 median/p95
 * (quantile_cont); skipped with a message when the package is not installed.
 * --write replaces the "Report vs Miller" section of docs/benchmarks.md.
 * Then the HTML report of the same file is screenshotted with headless Chromium (bench/out/report.png).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench/out');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const ROWS = Number(arg('rows', 1_000_000));
const ROUNDS = Number(arg('rounds', 3));
const WRITE = process.argv.includes('--write');
const SHOT = !process.argv.includes('--no-screenshot');

if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}
const mlr = spawnSync('mlr', ['--version'], { encoding: 'utf8' });
if (mlr.error) {
  console.error('Miller (mlr) is not installed: apt-get install -y miller');
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

// --- the input: deterministic, realistic icmp records -----------------------------------------
const csvPath = join(OUT, `report-${ROWS}.csv`);
const FIELDS = (await import(join(ROOT, 'dist/core/schema.js'))).FIELD_NAMES;
if (!existsSync(csvPath)) {
  const regions = readFileSync(join(ROOT, 'data/regions-id/regions.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter(([code]) => code && code.length === 5);
  const names = new Map(
    readFileSync(join(ROOT, 'data/regions-id/regions.tsv'), 'utf8')
      .split('\n')
      .map((l) => l.split('\t')),
  );
  const locs = regions.map(([code, name]) => ({ code, name: `${names.get(code.slice(0, 2))} / ${name}`, base: 8 + (Number(code.replace('.', '')) % 97) * 3 }));
  console.error(`generating ${ROWS} rows over ${locs.length} locations into ${csvPath}`);
  let seed = 42;
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const idx = Object.fromEntries(FIELDS.map((f, i) => [f, i]));
  const ws = createWriteStream(csvPath);
  ws.write(FIELDS.join(',') + '\n');
  const t0 = Date.UTC(2026, 10, 1);
  let buf = '';
  for (let i = 0; i < ROWS; i++) {
    const loc = locs[i % locs.length];
    const cells = new Array(FIELDS.length).fill('');
    const error = rnd() < 0.01;
    const rtt = loc.base * (0.7 + rnd() * rnd() * 3);
    const sent = 20;
    const received = error ? 0 : sent - (rnd() < 0.1 ? Math.floor(rnd() * 4) : 0);
    cells[idx.schema_version] = '1';
    cells[idx.run_id] = `run-${Math.floor(i / 5140)}`;
    cells[idx.started_at] = new Date(t0 + Math.floor(i / locs.length) * 600_000).toISOString();
    cells[idx.duration_ms] = '4012.5';
    cells[idx.probe_id] = `probe-${loc.code}`;
    cells[idx.location_code] = loc.code;
    cells[idx.location_name] = loc.name.includes(',') ? `"${loc.name}"` : loc.name;
    cells[idx.site] = 'kantor kecamatan';
    cells[idx.endpoint] = 'gw';
    cells[idx.target] = '8.8.8.8';
    cells[idx.test] = 'icmp';
    cells[idx.status] = error ? 'error' : 'ok';
    if (error) {
      cells[idx.error_code] = 'TIMEOUT';
      cells[idx.error_message] = 'no reply within 3000 ms';
    }
    cells[idx.sent] = String(sent);
    cells[idx.received] = String(received);
    cells[idx.loss_percent] = String((100 * (sent - received)) / sent);
    if (!error) {
      cells[idx.rtt_min_ms] = (rtt * 0.8).toFixed(3);
      cells[idx.rtt_mean_ms] = (rtt * 1.05).toFixed(3);
      cells[idx.rtt_median_ms] = rtt.toFixed(3);
      cells[idx.rtt_p95_ms] = (rtt * 1.6).toFixed(3);
      cells[idx.rtt_max_ms] = (rtt * 2).toFixed(3);
      cells[idx.rtt_stddev_ms] = (rtt * 0.2).toFixed(3);
      cells[idx.jitter_ms] = (rtt * 0.1 * rnd()).toFixed(3);
      cells[idx.jitter_rfc3550_ms] = (rtt * 0.08).toFixed(3);
      cells[idx.pdv_ms] = (rtt * 0.9).toFixed(3);
    }
    cells[idx.tool_version] = '0.1.0';
    cells[idx.interval_ms] = '200';
    cells[idx.timeout_ms] = '3000';
    cells[idx.size_bytes] = '56';
    cells[idx.target_ip] = '8.8.8.8';
    buf += cells.join(',') + '\n';
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await new Promise((r) => ws.once('drain', r));
      buf = '';
    }
  }
  ws.write(buf);
  await new Promise((r) => ws.end(r));
}
const sizeMb = statSync(csvPath).size / 1e6;

// --- timing -------------------------------------------------------------------------------
function timed(cmd, args, outFile) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-2000)}`);
  if (outFile) writeFileSync(outFile, r.stdout);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const seconds = (Number(wall?.[1] ?? 0) * 3600 + Number(wall?.[2]) * 60 + Number(wall?.[3]));
  return { seconds, rssMb: Number(rss?.[1]) / 1024, stdout: r.stdout };
}
// Other work on the machine inflates every tool's wall time: say how busy it was.
const load = loadavg()[0];
const qArgs = [join(ROOT, 'bin/qosprobe.js'), 'report', csvPath, '--by', 'location', '--format', 'csv'];
const mArgs = ['--icsv', '--opprint', 'stats1', '-a', 'count,mean,p50,p95', '-f', 'rtt_median_ms', '-g', 'location_code', csvPath];
let duckVersion = null;
try {
  const { createRequire } = await import('node:module');
  const req = createRequire(import.meta.url);
  duckVersion = JSON.parse(readFileSync(req.resolve('@duckdb/node-api/package.json'), 'utf8')).version;
} catch {
  console.error('DuckDB comparison skipped: @duckdb/node-api is not installed (npm install)');
}
const dArgs = [join(ROOT, 'bench/duckdb-latency.mjs'), csvPath];
const q = [];
const m = [];
const dk = [];
for (let i = 0; i < ROUNDS; i++) {
  q.push(timed(process.execPath, qArgs, join(OUT, 'report-qosprobe.csv')));
  m.push(timed('mlr', mArgs, join(OUT, 'report-miller.txt')));
  if (duckVersion) dk.push(timed(process.execPath, dArgs, join(OUT, 'report-duckdb.json')));
  console.error(
    `round ${i + 1}: qosprobe ${q.at(-1).seconds.toFixed(2)} s ${q.at(-1).rssMb.toFixed(0)} MB; mlr ${m.at(-1).seconds.toFixed(2)} s ${m.at(-1).rssMb.toFixed(0)} MB` +
      (duckVersion ? `; duckdb ${dk.at(-1).seconds.toFixed(2)} s ${dk.at(-1).rssMb.toFixed(0)} MB` : ''),
  );
}
const med = (xs, f) => xs.map(f).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const qs = med(q, (r) => r.seconds);
const ms = med(m, (r) => r.seconds);
const qr = med(q, (r) => r.rssMb);
const mr = med(m, (r) => r.rssMb);

// --- agreement: qosprobe's type 7 median/p95 vs Miller's interpolated percentiles -----------
const mi = spawnSync('mlr', ['--icsv', '--ojson', 'stats1', '-i', '-a', 'count,mean,p50,p95', '-f', 'rtt_median_ms', '-g', 'location_code', csvPath], { encoding: 'utf8', maxBuffer: 1 << 30 });
// Miller infers 11.10 as the number 11.1: key both sides by Number(code) (codes have two digits after the dot, so no clash).
const miller = new Map(JSON.parse(mi.stdout).map((r) => [Number(r.location_code), r]));
const ours = readFileSync(join(OUT, 'report-qosprobe.csv'), 'utf8').trim().split('\n');
const head = ours[0].split(',');
const col = (n) => head.indexOf(n);
let maxRel = { mean: 0, p50: 0, p95: 0 };
let countMismatch = 0;
let matched = 0;
for (const line of ours.slice(1)) {
  const c = line.split(',');
  const code = c[0];
  const mm = miller.get(Number(code));
  if (!mm) continue;
  matched++;
  // rows are read from the end for the numeric columns: the name cell may be quoted with commas
  const get = (n) => Number(c[c.length - (head.length - col(n))]);
  if (get('latency_n') !== mm.rtt_median_ms_count) countMismatch++;
  maxRel.mean = Math.max(maxRel.mean, Math.abs(get('latency_mean_ms') - mm.rtt_median_ms_mean) / mm.rtt_median_ms_mean);
  maxRel.p50 = Math.max(maxRel.p50, Math.abs(get('latency_median_ms') - mm.rtt_median_ms_p50) / mm.rtt_median_ms_p50);
  maxRel.p95 = Math.max(maxRel.p95, Math.abs(get('latency_p95_ms') - mm.rtt_median_ms_p95) / mm.rtt_median_ms_p95);
}
const groups = ours.length - 1;

// --- agreement with DuckDB (quantile_cont is type 7 too) ---------------------------------------
let duckLine = 'DuckDB: skipped (@duckdb/node-api not installed).';
let duckRows = '';
if (duckVersion) {
  const duck = new Map(JSON.parse(readFileSync(join(OUT, 'report-duckdb.json'), 'utf8')).map((r) => [r.location_code, r]));
  const rel = { mean: 0, p50: 0, p95: 0 };
  let dm = 0;
  let dMatched = 0;
  for (const line of ours.slice(1)) {
    const c = line.split(',');
    const r = duck.get(c[0]);
    if (!r) continue;
    dMatched++;
    const get = (n) => Number(c[c.length - (head.length - col(n))]);
    if (get('latency_n') !== r.n) dm++;
    rel.mean = Math.max(rel.mean, Math.abs(get('latency_mean_ms') - r.mean) / r.mean);
    rel.p50 = Math.max(rel.p50, Math.abs(get('latency_median_ms') - r.p50) / r.p50);
    rel.p95 = Math.max(rel.p95, Math.abs(get('latency_p95_ms') - r.p95) / r.p95);
  }
  const ds = med(dk, (r) => r.seconds);
  const dr = med(dk, (r) => r.rssMb);
  duckRows = `| \`node bench/duckdb-latency.mjs FILE\` (DuckDB ${duckVersion}: \`read_csv\` + \`count, avg, quantile_cont(0.5, 0.95)\` by location_code) | ${ds.toFixed(2)} | ${dr.toFixed(0)} |
| ratio (DuckDB / qosprobe) | ${(ds / qs).toFixed(2)}× | ${(dr / qr).toFixed(2)}× |
`;
  duckLine = `Agreement with DuckDB's \`quantile_cont\` (type 7): ${dMatched} of ${groups} locations matched, count mismatches ${dm}; largest relative difference: mean ${rel.mean.toExponential(1)}, median ${rel.p50.toExponential(1)}, p95 ${rel.p95.toExponential(1)}. DuckDB uses every CPU (${cpus().length} here) and reads the whole column for exact quantiles.`;
}

// --- screenshot of the HTML report ---------------------------------------------------------
let shot = 'skipped';
if (SHOT) {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) shot = 'skipped: chromium not installed (apt-get install -y chromium)';
  else {
    const html = join(OUT, 'report.html');
    execFileSync(process.execPath, [join(ROOT, 'bin/qosprobe.js'), 'report', csvPath, '--by', 'location', '--format', 'html', '--out', html], { stdio: 'inherit' });
    const profile = mkdtempSync(join(tmpdir(), 'qp-chromium-'));
    const png = join(OUT, 'report.png');
    spawnSync(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars', '--window-size=1400,2400', `--screenshot=${png}`, `file://${html}`],
      { stdio: 'ignore', timeout: 60_000 },
    );
    rmSync(profile, { recursive: true, force: true });
    shot = existsSync(png) ? `bench/out/report.png (${(statSync(png).size / 1024).toFixed(0)} KB; HTML ${(statSync(html).size / 1024).toFixed(0)} KB)` : 'failed';
  }
}

const mlrVersion = mlr.stdout.trim();
const section = `## Report vs Miller

${ROWS.toLocaleString('en')} result rows (schema v1 CSV, ${sizeMb.toFixed(0)} MB, ${FIELDS.length} columns) over ${groups} locations (every regency/city code of the region table), aggregated by location. ${cpus().length} CPUs, Node ${process.version}, ${mlrVersion}. Median of ${ROUNDS} alternating rounds, wall time and peak RSS from \`/usr/bin/time -v\`. Load average when the rounds started: ${load.toFixed(1)}${load > cpus().length ? ' (a busy machine: every wall time is inflated; compare the ratios)' : ''}.
Measured ${new Date().toISOString().slice(0, 10)} with \`npm run build && node bench/report-vs-miller.mjs --rounds ${ROUNDS} --write\`.

| | wall time (s) | peak RSS (MB) |
| --- | ---: | ---: |
| \`qosprobe report FILE --by location --format csv\` | ${qs.toFixed(2)} | ${qr.toFixed(0)} |
| \`mlr --icsv --opprint stats1 -a count,mean,p50,p95 -f rtt_median_ms -g location_code FILE\` | ${ms.toFixed(2)} | ${mr.toFixed(0)} |
| ratio (Miller / qosprobe) | ${(ms / qs).toFixed(2)}× | ${(mr / qr).toFixed(2)}× |
${duckRows}
qosprobe computes more than Miller here: per location the count, availability, mean/median/p95 of latency, jitter and loss, median/p10 of throughput, the TIPHON rating, and names from the region table. Memory is bounded by the number of groups (${groups} × 5 metrics × at most ${1024} exact values, then 0.5 %-error log buckets), not by the ${ROWS.toLocaleString('en')} rows; Miller keeps every value per group for its percentiles.

Agreement with \`mlr stats1 -i\` (interpolated percentiles, the same type 7 definition), ${matched} of ${groups} locations matched, latency count mismatches ${countMismatch}; largest relative difference (qosprobe's CSV has 3 decimals): mean ${maxRel.mean.toExponential(1)}, median ${maxRel.p50.toExponential(1)}, p95 ${maxRel.p95.toExponential(1)} (the quantiles come from the log-bucket sketch once a group passes 1,024 values: documented bound 5e-3).

${duckLine}

Screenshot of the HTML report of the same file: ${shot}.
`;
console.log(section);
if (WRITE) {
  const doc = join(ROOT, 'docs/benchmarks.md');
  const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const re = /## Report vs Miller\n[\s\S]*?(?=\n## |$)/;
  writeFileSync(doc, re.test(text) ? text.replace(re, section.trimEnd() + '\n') : text.trimEnd() + '\n\n' + section);
  console.error(`updated ${doc}`);
}
