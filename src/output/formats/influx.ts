/** InfluxDB line protocol (monitoring/influx.ts): a line per monitored record. */
import { influxLine, influxLines } from '../../monitoring/influx.js';
import { MEASUREMENT, isMonitored } from '../../monitoring/metrics.js';
import type { PushBody, StreamingWriter } from '../formats.js';

export const serialiser: StreamingWriter & PushBody = {
  header: () => '',
  record: (r) => (isMonitored(r) ? influxLine(r) + '\n' : ''),
  firstLineOk: (line) => line.startsWith(MEASUREMENT + ',') || line.startsWith(MEASUREMENT + ' '),
  looksLike: `line protocol of the ${MEASUREMENT} measurement`,
  body: (batch) => influxLines(batch.records),
};
