import { readFileSync } from 'node:fs';
import { packageFile } from './core/package-root.js';

let cached: string | undefined;

/** The package version, read once from package.json (cheap: no heavy imports). */
export function toolVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
