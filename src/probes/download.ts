import { makeTransferProbe } from './transfer.js';

/** Download throughput: GET `url` (template with `{bytes}`) on parallel streams; body bytes counted as they arrive. */
export const download = makeTransferProbe('download');
