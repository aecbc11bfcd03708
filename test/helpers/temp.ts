/**
 * Temporary directories that go away with the test file that made them, whether its tests passed or failed:
 * importing this registers an afterAll in the importing file (vitest isolates files, so each gets its own list).
 * They live under the run's TMPDIR (vitest.config.ts), which test/global-setup.ts checks is empty at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory named `<prefix>XXXXXX`, removed after this file's tests. */
export function tempDir(prefix = 'qosprobe-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
