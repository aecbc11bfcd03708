/**
 * `qosprobe init`: the commented example config written where asked, never over a file that is there.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QosError } from '../core/errors.js';
import { EXAMPLE_CONFIG } from '../config/example.js';
import type { AppIo } from './io.js';

/** Where it went (`written`), or the file already there (`exists`, left alone); any other failure throws OUTPUT_FAILED. */
export function writeExampleConfig({ cwd }: Pick<AppIo, 'cwd'>, out: string): { path: string; outcome: 'written' | 'exists' } {
  const path = resolve(cwd, out);
  try {
    writeFileSync(path, EXAMPLE_CONFIG, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { path, outcome: 'exists' };
    throw new QosError('OUTPUT_FAILED', `cannot write ${path}: ${(err as Error).message}`);
  }
  return { path, outcome: 'written' };
}
