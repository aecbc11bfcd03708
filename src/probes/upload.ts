import { makeTransferProbe } from './transfer.js';

/** Upload throughput: POST generated incompressible bytes to `url` on parallel streams. */
export const upload = makeTransferProbe('upload');
