/**
 * Where unattended state lives: the spool of unsent batches and the run locks. Per-user
 * state, not config and not cache: losing it loses unsent measurements.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StateEnv {
  [key: string]: string | undefined;
}

/** $XDG_STATE_HOME/qosprobe (Linux and other Unixes), %LOCALAPPDATA%\qosprobe (Windows), ~/Library/Application Support/qosprobe (macOS). */
export function stateDir(env: StateEnv, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'qosprobe');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'qosprobe');
  return join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'qosprobe');
}

export function defaultSpoolDir(env: StateEnv, platform: NodeJS.Platform = process.platform): string {
  return join(stateDir(env, platform), 'spool');
}

/**
 * The run lock of one config: two cron entries for different configs may overlap, two runs
 * of the same config may not (they would measure the same link at the same time).
 */
export function runLockPath(env: StateEnv, configKey: string, platform: NodeJS.Platform = process.platform): string {
  const h = createHash('sha256').update(configKey).digest('hex').slice(0, 16);
  return join(stateDir(env, platform), 'locks', `run-${h}.lock`);
}
