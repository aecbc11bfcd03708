/**
 * The package's root directory (where package.json, data/, profiles/ and native/ are), the one anchor for the
 * files the code reads beside itself. This module sits two levels below the root in src/core, dist/core and the
 * CLI bundle (dist/bundle/), so the same relative URL holds in all three.
 */
export const PACKAGE_ROOT = new URL('../../', import.meta.url);

/** A file of the package, by its path from the root (`data/regions-id/regions.tsv`). */
export function packageFile(path: string): URL {
  return new URL(path, PACKAGE_ROOT);
}
