#!/usr/bin/env node
/**
 * The DuckDB side of bench/report-duckdb.mjs: what `qosprobe report DIR --by KEY` computes per
 * group, written in SQL from docs/report.md, over every file of DIR (CSV or NDJSON) read with an
 * explicit schema (every schema v1 column typed as the schema says: no type sniffing). Per group:
 * records, ok, partial, error, and per metric n, mean, median, tail (p95, or p10 for throughput),
 * min and max: latency = rtt_median_ms, jitter = jitter_ms (not from error records), loss =
 * loss_percent (error records included), download/upload = throughput_bps of those tests; a
 * trace's hop rows are left out. Prints one JSON array. @duckdb/node-api is a dev dependency.
 *
 *   node bench/duckdb-fleet.mjs csv|ndjson DIR [--by location|province]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [format, dir] = process.argv.slice(2);
const by = process.argv.includes('--by') ? process.argv[process.argv.indexOf('--by') + 1] : 'location';
if (!['csv', 'ndjson'].includes(format) || !dir || !['location', 'province'].includes(by)) {
  console.error('usage: node bench/duckdb-fleet.mjs csv|ndjson DIR [--by location|province]');
  process.exit(2);
}
const { FIELDS } = await import('../dist/core/schema.js');
const files = readdirSync(dir)
  .filter((f) => f.endsWith(`.${format}`))
  .sort()
  .map((f) => join(dir, f));
const SQL_TYPE = { integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR', timestamp: 'VARCHAR' };
const q = (s) => `'${s.replace(/'/g, "''")}'`;
const columns = '{' + FIELDS.map((f) => `${q(f.name)}: ${q(SQL_TYPE[f.type])}`).join(', ') + '}';
const list = '[' + files.map(q).join(', ') + ']';
const source =
  format === 'csv'
    ? `read_csv(${list}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = ${columns})`
    : `read_json(${list}, format = 'newline_delimited', columns = ${columns})`;
const key = by === 'location' ? `coalesce(location_code, '(none)')` : `coalesce(substr(location_code, 1, 2), '(none)')`;
const metric = (id, expr, cond, tail) => `
  count(${expr}) FILTER (${cond}) AS ${id}_n, avg(${expr}) FILTER (${cond}) AS ${id}_mean,
  quantile_cont(${expr}, 0.5) FILTER (${cond}) AS ${id}_median, quantile_cont(${expr}, ${tail}) FILTER (${cond}) AS ${id}_tail,
  min(${expr}) FILTER (${cond}) AS ${id}_min, max(${expr}) FILTER (${cond}) AS ${id}_max`;
const sql = `SELECT ${key} AS key, count(*) AS records,
  count(*) FILTER (status = 'ok') AS ok, count(*) FILTER (status = 'partial') AS partial, count(*) FILTER (status = 'error') AS error,
  ${metric('latency_ms', 'rtt_median_ms', "status <> 'error'", 0.95)},
  ${metric('jitter_ms', 'jitter_ms', "status <> 'error'", 0.95)},
  ${metric('loss_percent', 'loss_percent', 'true', 0.95)},
  ${metric('download_bps', 'throughput_bps', "status <> 'error' AND test = 'download'", 0.1)},
  ${metric('upload_bps', 'throughput_bps', "status <> 'error' AND test = 'upload'", 0.1)}
  FROM ${source} WHERE hop IS NULL GROUP BY 1 ORDER BY 1`;
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const reader = await con.runAndReadAll(sql);
const rows = reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
process.stdout.write(JSON.stringify(rows) + '\n');
