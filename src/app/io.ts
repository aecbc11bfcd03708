/**
 * What the application layer (run, unattended runs, monitor) needs from whoever drives it: the CLI (cli/ maps a
 * CliIo to this and renders the events: spinner, summary, stderr) or a library user (src/index.ts). It never
 * touches `process`; it says what happens through `events` and returns its exit code as a value.
 */
import type { ResultRecord } from '../core/schema.js';

export interface AppEvents {
  /** Text for the person running it (notes, warnings, push progress and problems), whole lines with their prefix. */
  say(text: string): void;
  /** A test is about to run (the spinner's label). */
  testStarted?(label: string, index: number, total: number): void;
  /** A test's record, written to every sink. */
  testFinished?(r: ResultRecord): void;
}

export interface AppIo {
  /** Where records go when no file is named. */
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Fires on the first interrupt: what was measured is still written. */
  signal: AbortSignal;
  /** A person is watching (a terminal): progress lines a log would not want (per push batch). */
  interactive: boolean;
  events: AppEvents;
  /** Run `f` if the process exits before it is unregistered (a lock file must not outlive it); returns the unregister. */
  atExit?(f: () => void): () => void;
}

/** Events that say nothing: a library user who wants the records only. */
export const QUIET_EVENTS: AppEvents = { say() {} };
