/**
 * A STAMP reflector in a process of its own (run with `node --import tsx`), so a test can measure
 * a sender whose event loop might stall without stalling the reflector with it. Prints its port
 * on the first line; on each stdin line prints its stats as JSON; exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { startStampReflector } from '../../src/serve/stamp-reflector.js';

const r = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: true, rateLimitPps: 1_000_000, log: () => {} });
process.stdout.write(`${r.port}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', () => process.stdout.write(`${JSON.stringify(r.stats())}\n`));
lines.on('close', () => void r.close().then(() => process.exit(0)));
