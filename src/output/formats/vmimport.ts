/** VictoriaMetrics JSON-line import (monitoring/vmimport.ts): push only, series grouped over the batch. */
import { vmImportLines } from '../../monitoring/vmimport.js';
import type { PushBody } from '../formats.js';

export const serialiser: PushBody = {
  body: (batch, opts) => vmImportLines(batch.records, opts.nowMs),
};
