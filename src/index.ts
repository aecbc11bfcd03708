/** Library entry: the measurement core without the CLI. */
export { QosError, EXIT, MEASUREMENT_ERROR_CODES, type ErrorCode, type MeasurementErrorCode } from './core/errors.js';
export { FIELDS, FIELD_NAMES, SCHEMA_VERSION, type ResultRecord } from './core/schema.js';
export { buildRecord, type RunContext } from './records/assemble.js';
export { probes, PROBE_KINDS, type ProbeKind } from './probes/index.js';
export type { ProbeDef } from './probes/probe.js';
export type { PacketSample, ProbeOutcome, Samples, BaseSpec, Endpoint } from './core/samples.js';
export { runPlan, type PlannedTest, type RunResult } from './run/runner.js';
export { formats, type FormatName } from './output/formats.js';
export { validateConfig } from './config/validate.js';
export * as stats from './stats/index.js';
export { parseLocationCode, lookupLocation, loadRegionTable, provinceOf } from './config/locations.js';
export { startServe, type ServeOptions, type RunningServe } from './serve/server.js';
export { pushSpool, type PushOptions, type PushResult } from './spool/push.js';
export { influxLine, influxLines } from './monitoring/influx.js';
export { openMetricsText } from './monitoring/openmetrics.js';
export { buildReport, type ReportData, type ReportOptions } from './report/pipeline.js';
export { locationColumns, type Location, type LocationSource } from './core/location.js';
export { resolveLocation, type LocationRequest } from './config/resolve-location.js';
