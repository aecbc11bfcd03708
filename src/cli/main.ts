/**
 * The process edge: argv, signals, exit codes. Everything below receives what it needs.
 */
import { CommanderError } from 'commander';
import { EXIT, QosError, exitCodeFor } from '../errors.js';
import type { CliIo } from './io.js';
import { MESSAGES, langOf } from './i18n.js';
import { createProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  const ctl = new AbortController();
  const lang = langOf(argv.slice(2), process.env);
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      // First signal: stop measuring, write what was measured, exit 130.
      ctl.abort(name);
      return;
    }
    // Second signal: the user means it. Records already written are whole.
    process.stderr.write(`qosprobe: ${MESSAGES[lang].signalAgain(name)}\n`);
    process.exit(EXIT.INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `qosprobe run | head -1`: the reader went away; that is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: ctl.signal,
    lang,
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
  const program = createProgram(io);
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, io);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One line for user errors, never a stack trace; a stack only for our own bugs. */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (usage errors); help/version exit 0.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (err instanceof QosError) {
    io.stderr.write(`qosprobe: ${err.message}\n`);
    return exitCodeFor(err);
  }
  io.stderr.write(`qosprobe: ${MESSAGES[io.lang ?? 'en'].internalError}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.INTERNAL;
}
