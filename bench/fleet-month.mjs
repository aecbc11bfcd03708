#!/usr/bin/env node
/**
 * A simulated month of a national fleet for `qosprobe report` at scale (issue 23), written by
 * qosprobe's own CSV and NDJSON writers (dist/): `--sites` sites (default 3,006) at real village
 * and district codes of all 38 provinces (data/regions-id), `--days` days × `--runs` runs a day ×
 * 3 tests (icmp, http, dns) per site: 1,082,160 records by default, as `--files` CSV files and the
 * same records as NDJSON files. Deterministic (a fixed seed): the same arguments give the same bytes.
 *
 * What it holds, as a field fleet does: dead sites (never answer: every record an error, icmp
 * loss 100), flaky sites (a third of their runs fail), heavy-loss sites (20-60 % loss), DNS
 * failures (the dns test in error, no loss value), partial records (cut short: some values
 * null), and site names with commas and double quotes.
 *
 *   npm run build && node bench/fleet-month.mjs [--sites 3006] [--days 30] [--runs 4] [--files 300] [--out bench/out/fleet]
 *
 * Writes OUT/csv/*.csv, OUT/ndjson/*.ndjson and OUT/sites.csv (every site, for --expect), and
 * prints a JSON summary. Skips the work when OUT/summary.json says the same arguments were used.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const SITES = Number(arg('sites', 3006));
const DAYS = Number(arg('days', 30));
const RUNS = Number(arg('runs', 4));
const FILES = Number(arg('files', 300));
const OUT = arg('out', join(ROOT, 'bench/out/fleet'));
const params = { SITES, DAYS, RUNS, FILES, version: 2 };

if (!existsSync(join(ROOT, 'dist/output/formats.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}
const summaryPath = join(OUT, 'summary.json');
if (existsSync(summaryPath) && JSON.stringify(JSON.parse(readFileSync(summaryPath, 'utf8')).params) === JSON.stringify(params)) {
  process.stdout.write(readFileSync(summaryPath, 'utf8'));
  process.exit(0);
}
const { formats } = await import(join(ROOT, 'dist/output/formats.js'));
const { emptyRecord } = await import(join(ROOT, 'dist/core/schema.js'));

let seed = 20261201;
const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const pick = (a) => a[Math.floor(rnd() * a.length)];

// --- sites at real codes: villages (13 characters) and districts (8), every province ---------------
const regions = readFileSync(join(ROOT, 'data/regions-id/regions.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter(([c]) => c);
const nameOf = new Map(regions);
const provinces = regions.filter(([c]) => c.length === 2).map(([c]) => c);
const byProvince = new Map(provinces.map((p) => [p, { villages: [], districts: [] }]));
for (const [c] of regions) {
  const p = byProvince.get(c.slice(0, 2));
  if (c.length === 13) p.villages.push(c);
  else if (c.length === 8) p.districts.push(c);
}
const OPERATORS = ['Telkomsel', 'Indosat', 'XL', 'Smartfren', 'Telkom VSAT'];
const sites = [];
for (let i = 0; i < SITES; i++) {
  const prov = provinces[i % provinces.length];
  const { villages, districts } = byProvince.get(prov);
  // Several sites share a code now and then (two polling stations in one village).
  const code = i % 5 === 4 ? pick(districts) : i % 7 === 3 && sites.length > 0 ? sites[sites.length - 1].code : pick(villages);
  const village = nameOf.get(code);
  const n = String(i + 1).padStart(4, '0');
  const site = i % 11 === 0 ? `TPS ${n}, "${village}"` : i % 13 === 0 ? `Kantor Desa ${village}, RT 0${i % 9}` : `TPS ${n} ${village}`;
  const r = rnd();
  const kind = r < 0.015 ? 'dead' : r < 0.115 ? 'flaky' : r < 0.165 ? 'lossy' : 'good';
  const lat = -8.5 + rnd() * 14;
  const lon = 95.5 + rnd() * 45;
  sites.push({ i, code, name: `${nameOf.get(prov)} / ${village}`, site, kind, lat: Number(lat.toFixed(5)), lon: Number(lon.toFixed(5)), base: 8 + rnd() * 120, operator: pick(OPERATORS) });
}

// --- records ------------------------------------------------------------------------------
rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'csv'), { recursive: true });
mkdirSync(join(OUT, 'ndjson'), { recursive: true });
writeFileSync(join(OUT, 'sites.csv'), 'location_code,site,lat,lon\n' + sites.map((s) => `${s.code},${csvCell(s.site)},${s.lat},${s.lon}`).join('\n') + '\n');
function csvCell(s) {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const t0 = Date.UTC(2026, 10, 1);
const counts = { records: 0, ok: 0, partial: 0, error: 0, dead: sites.filter((s) => s.kind === 'dead').length };
class Out {
  constructor(path) {
    this.ws = createWriteStream(path);
    this.buf = [];
    this.len = 0;
  }
  async put(s) {
    this.buf.push(s);
    this.len += s.length;
    if (this.len > 1 << 20) await this.flush();
  }
  async flush() {
    const ok = this.ws.write(this.buf.join(''));
    this.buf = [];
    this.len = 0;
    if (!ok) await new Promise((r) => this.ws.once('drain', r));
  }
  async end() {
    await this.flush();
    await new Promise((r) => this.ws.end(r));
  }
}

function records(s, day, run) {
  const runId = `run-${s.i}-${day}-${run}`;
  const start = t0 + day * 86_400_000 + run * 21_600_000 + (s.i % 600) * 1000;
  const base = {
    ...emptyRecord(),
    schema_version: 1,
    run_id: runId,
    probe_id: `probe-${String(s.i).padStart(4, '0')}`,
    location_code: s.code,
    location_name: s.name,
    site: s.site,
    lat: s.lat,
    lon: s.lon,
    tool_version: '0.1.0',
    net_type: 'cellular',
    cell_operator: s.operator,
  };
  const down = s.kind === 'dead' || (s.kind === 'flaky' && rnd() < 0.33);
  const out = [];
  // icmp
  {
    const r = { ...base, started_at: new Date(start).toISOString(), endpoint: 'gw', target: '10.0.0.1', test: 'icmp', sent: 20, interval_ms: 200, timeout_ms: 3000, size_bytes: 56 };
    if (down) Object.assign(r, { status: 'error', error_code: 'TIMEOUT', error_message: 'no reply within 3000 ms', received: 0, loss_percent: 100, duration_ms: 7000 });
    else {
      const lossP = s.kind === 'lossy' ? 20 + rnd() * 40 : rnd() < 0.1 ? rnd() * 15 : 0;
      const received = Math.max(1, Math.round(20 * (1 - lossP / 100)));
      const rtt = s.base * (0.7 + rnd() * rnd() * 3);
      const partial = rnd() < 0.02;
      Object.assign(r, {
        status: partial ? 'partial' : 'ok',
        received,
        loss_percent: (100 * (20 - received)) / 20,
        rtt_min_ms: round(rtt * 0.8),
        rtt_mean_ms: round(rtt * 1.05),
        rtt_median_ms: round(rtt),
        rtt_p95_ms: round(rtt * 1.6),
        rtt_max_ms: round(rtt * 2),
        jitter_ms: partial ? null : round(rtt * 0.1 * rnd()),
        duration_ms: 4012.5,
      });
    }
    out.push(r);
  }
  // http
  {
    const r = { ...base, started_at: new Date(start + 8000).toISOString(), endpoint: 'portal', target: 'https://portal.example.id/', test: 'http', timeout_ms: 10000 };
    if (down) Object.assign(r, { status: 'error', error_code: 'TIMEOUT', error_message: 'no response within 10000 ms', duration_ms: 10000 });
    else {
      const total = s.base * (3 + rnd() * 4);
      Object.assign(r, { status: 'ok', http_status: 200, rtt_median_ms: round(total / 3), dns_ms: round(5 + rnd() * 20), connect_ms: round(total / 4), ttfb_ms: round(total / 2), total_ms: round(total), duration_ms: round(total) });
    }
    out.push(r);
  }
  // dns
  {
    const r = { ...base, started_at: new Date(start + 20000).toISOString(), endpoint: 'resolver', target: 'portal.example.id', test: 'dns', timeout_ms: 5000 };
    const fail = down || rnd() < 0.03;
    if (fail) Object.assign(r, { status: 'error', error_code: down ? 'TIMEOUT' : 'DNS_FAILURE', error_message: down ? 'no answer within 5000 ms' : 'SERVFAIL from 10.0.0.53', duration_ms: 5000 });
    else Object.assign(r, { status: 'ok', rtt_median_ms: round(s.base * (0.5 + rnd())), duration_ms: round(s.base) });
    out.push(r);
  }
  return out;
}
function round(x) {
  return Math.round(x * 1000) / 1000;
}

const files = [];
// Sites dealt round-robin: FILES files of SITES / FILES sites each (a probe's upload, a day of a region's collection).
for (let f = 0; f < Math.min(FILES, SITES); f++) {
  const name = `probes-${String(f + 1).padStart(3, '0')}`;
  const csv = new Out(join(OUT, 'csv', `${name}.csv`));
  const nd = new Out(join(OUT, 'ndjson', `${name}.ndjson`));
  await csv.put(formats.csv.header());
  const mine = sites.filter((s) => s.i % FILES === f);
  for (let day = 0; day < DAYS; day++)
    for (let run = 0; run < RUNS; run++)
      for (const s of mine)
        for (const r of records(s, day, run)) {
          counts.records++;
          counts[r.status]++;
          await csv.put(formats.csv.record(r));
          await nd.put(formats.ndjson.record(r));
        }
  await csv.end();
  await nd.end();
  files.push(name);
}
const summary = JSON.stringify({ params, out: OUT, files: files.length, sites: SITES, codes: new Set(sites.map((s) => s.code)).size, provinces: new Set(sites.map((s) => s.code.slice(0, 2))).size, ...counts }, null, 2) + '\n';
writeFileSync(summaryPath, summary);
process.stdout.write(summary);
