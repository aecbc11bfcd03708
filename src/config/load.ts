/**
 * Find and read the config file. Search order: --config, $QOSPROBE_CONFIG,
 * ./qosprobe.yaml (or .yml/.json), then the user config dir. Layering of values is
 * defaults < file < environment < flags; the flags are applied by the command.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { QosError } from '../core/errors.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';
import { concat, same, say, type Localized } from '../core/messages.js';

export interface Env {
  [key: string]: string | undefined;
}

/** Candidate paths, in search order, for a given environment and platform. */
export function configCandidates(env: Env, cwd: string, platform: NodeJS.Platform = process.platform): string[] {
  const local = ['qosprobe.yaml', 'qosprobe.yml', 'qosprobe.json'].map((n) => join(cwd, n));
  return [...local, ...userConfigFiles(env, platform)];
}

export function userConfigDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'qosprobe');
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'qosprobe');
}

function userConfigFiles(env: Env, platform: NodeJS.Platform): string[] {
  const dir = userConfigDir(env, platform);
  return ['config.yaml', 'config.yml', 'config.json'].map((n) => join(dir, n));
}

/**
 * Locate the config: an explicit path must exist; otherwise the first candidate that
 * exists, or null when there is none (callers decide whether that is an error).
 */
export function findConfig(explicit: string | undefined, env: Env, cwd: string): string | null {
  if (explicit) return resolve(cwd, explicit);
  if (env.QOSPROBE_CONFIG) return resolve(cwd, env.QOSPROBE_CONFIG);
  return configCandidates(env, cwd).find((p) => existsSync(p)) ?? null;
}

export async function readConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new QosError(
      'CONFIG_NOT_FOUND',
      code === 'ENOENT' ? say('configMissing', path) : say('configUnreadable', path, (err as Error).message),
      { cause: err },
    );
  }
  return validateConfig(await parseDocument(text, path), path, dirname(path));
}

/** YAML (a superset of JSON) unless the name ends in .json; syntax errors give line and column. */
export async function parseDocument(text: string, path: string): Promise<unknown> {
  if (extname(path).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new QosError('CONFIG_INVALID', say('notJson', path, (err as Error).message), { cause: err });
    }
  }
  const YAML = await import('yaml');
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw new QosError('CONFIG_INVALID', yamlError(path, first.message, first.linePos?.[0]));
  try {
    return doc.toJS() as unknown;
  } catch (err) {
    // Some faults only show when the document is built: an alias to an anchor never set (`*x`), too many alias expansions.
    throw new QosError('CONFIG_INVALID', say('notYaml', path, '', (err as Error).message.split('\n')[0] ?? ''), { cause: err });
  }
}

/**
 * One position and the snippet: yaml's pretty message is "<what> at line L, column C:\n\n<lines>\n<caret>"; the
 * position is said once, at the front, and the snippet (with its caret) is kept, indented under the message.
 */
export function yamlErrorMessage(path: string, message: string, pos: { line: number; col: number } | undefined): string {
  return yamlError(path, message, pos).en;
}

function yamlError(path: string, message: string, pos: { line: number; col: number } | undefined): Localized {
  const [head = '', ...rest] = message.split('\n');
  const what = head.replace(/ at line \d+, column \d+:?$/, '');
  const snippet = rest.filter((l) => l.trim() !== '').map((l) => `\n    ${l}`).join('');
  const where = pos ? say('atLine', String(pos.line), String(pos.col)) : '';
  return concat(say('notYaml', path, where, what), same(snippet));
}
