#!/usr/bin/env node
/**
 * The DuckDB side of bench/report-vs-miller.mjs: its CSV reader computes the same per-location
 * latency statistics as `qosprobe report` (count, mean, and type 7 median/p95: quantile_cont is
 * linear interpolation between closest ranks). Prints JSON rows; run under /usr/bin/time by the
 * benchmark. @duckdb/node-api is a dev dependency used here only.
 *
 *   node bench/duckdb-latency.mjs FILE.csv
 */
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/duckdb-latency.mjs FILE.csv');
  process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
// location_code as text: 11.10 must not become the number 11.1. Error rows have an empty rtt_median_ms (NULL): not counted, as in qosprobe.
const sql = `SELECT location_code, count(rtt_median_ms) AS n, avg(rtt_median_ms) AS mean,
  quantile_cont(rtt_median_ms, 0.5) AS p50, quantile_cont(rtt_median_ms, 0.95) AS p95
  FROM read_csv('${file.replace(/'/g, "''")}', header = true, types = {'location_code': 'VARCHAR', 'rtt_median_ms': 'DOUBLE'})
  GROUP BY location_code ORDER BY location_code`;
const reader = await con.runAndReadAll(sql);
const rows = reader.getRowObjectsJS().map((r) => ({ ...r, n: Number(r.n) }));
process.stdout.write(JSON.stringify(rows) + '\n');
