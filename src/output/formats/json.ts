/** JSON: one document per run, { schema_version, run, results }. */
import { SCHEMA_VERSION } from '../../core/schema.js';
import type { DocumentWriter } from '../formats.js';

export const serialiser: DocumentWriter = {
  document: (run, records) => JSON.stringify({ schema_version: SCHEMA_VERSION, run, results: records }, null, 2) + '\n',
};
