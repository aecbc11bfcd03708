/** What the CLI layer needs from the process, injectable so commands can be driven from tests. */
import type { AppEvents, AppIo } from '../app/io.js';
import type { Lang } from '../report/labels.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Fires on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Language of human output (--lang, else the locale); absent: from env. Records are never translated. */
  lang?: Lang;
  /**
   * How the user started qosprobe, for hints they can paste: `qosprobe` (on PATH: npm link, npm install -g) or
   * `node bin/qosprobe.js` (a clone after the quick start). Absent: `qosprobe`.
   */
  self?: string;
  /** Set the process exit code (never process.exit: streams must flush). */
  setExitCode(code: number): void;
}

/**
 * The command to show in hints, from the script path node was given (process.argv[1]): a `.js` path is a clone's
 * bin/qosprobe.js, run as `node <path>` (relative to cwd when inside it); anything else is the `qosprobe` on PATH.
 */
export function selfCommand(script: string | undefined, cwd: string, rel: (from: string, to: string) => string): string {
  if (!script || !script.endsWith('.js')) return 'qosprobe';
  const r = rel(cwd, script);
  const shown = r !== '' && !r.startsWith('..') && !r.startsWith('/') && !/^[A-Za-z]:/.test(r) ? r : script;
  return `node ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`;
}

/** Per no-color.org: NO_COLOR present and not empty disables colour, whatever the terminal. */
export function colorAllowed(io: CliIo): boolean {
  return Boolean(io.stderr.isTTY) && !(io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '');
}

/** The application's view of the process: its text lines go to stderr, records to stdout; a terminal is a person watching. */
export function appIoOf(io: CliIo, events: Omit<AppEvents, 'say'> = {}): AppIo {
  return {
    stdout: io.stdout,
    env: io.env,
    cwd: io.cwd,
    signal: io.signal,
    interactive: Boolean(io.stderr.isTTY),
    events: { say: (text) => io.stderr.write(text), ...events },
    atExit(f) {
      process.once('exit', f);
      return () => process.off('exit', f);
    },
  };
}
