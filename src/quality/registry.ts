/**
 * The bundled quality profiles: every `profiles/<name>.json` is one, named by its file. Adding a
 * profile is that one file: `--profile <name>` (report, rules, the monitor's degradation.profile),
 * the --help lists and the tests (every bundled profile loads and validates) find it here.
 *
 * Cheap on purpose: the CLI imports it when it builds its commands, and it reads the directory
 * only when asked (a profile is loaded, or --help is shown).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { packageFile } from '../core/package-root.js';

export const PROFILE_DIR = packageFile('profiles/');
/** `qosprobe report`'s profile when --profile is not given. */
export const DEFAULT_PROFILE = 'tiphon';

let names: readonly string[] | undefined;

/** The bundled profiles' names: the default first, then in name order. */
export function bundledProfileNames(): readonly string[] {
  names ??= readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort((a, b) => (a === DEFAULT_PROFILE ? -1 : b === DEFAULT_PROFILE ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return names;
}

/** The file of a bundled profile; null when the name is not one. */
export function bundledProfileUrl(name: string): URL | null {
  return bundledProfileNames().includes(name) ? new URL(`${name}.json`, PROFILE_DIR) : null;
}

/** "Bundled profiles:" and a line per profile (name, title), for --help. */
export function bundledProfilesHelp(): string {
  const list = bundledProfileNames().map((name) => {
    let title = '';
    try {
      const data: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, PROFILE_DIR), 'utf8'));
      if (typeof data === 'object' && data !== null && typeof (data as { title?: unknown }).title === 'string') title = (data as { title: string }).title;
    } catch {
      // a broken bundled file is reported when it is loaded; the help still lists its name
    }
    return { name, title };
  });
  const width = Math.max(...list.map((p) => p.name.length));
  return `Bundled profiles (profiles/*.json; docs/report.md "Profiles"):\n${list.map((p) => `  ${p.name.padEnd(width)}  ${p.title}`.trimEnd()).join('\n')}\n`;
}
