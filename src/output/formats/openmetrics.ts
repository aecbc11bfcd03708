/**
 * Prometheus text / OpenMetrics (monitoring/openmetrics.ts). A document, so --out goes through
 * temp + rename: node_exporter's textfile collector never reads half a file. Pushed with
 * timestamps only where the receiver keeps them (the Pushgateway refuses them).
 */
import { openMetricsText } from '../../monitoring/openmetrics.js';
import type { DocumentWriter, PushBody } from '../formats.js';

export const serialiser: DocumentWriter & PushBody = {
  document: (_run, records) => openMetricsText(records),
  body: (batch, opts) => openMetricsText(batch.records, { timestamps: opts.timestamps }),
};
