/**
 * The process edge: argv, signals, exit codes. Everything below receives what it needs.
 */
import { CommanderError } from 'commander';
import { EXIT, QosError, exitCodeFor, messageIn } from '../core/errors.js';
import { relative } from 'node:path';
import { selfCommand, type CliIo } from './io.js';
import { MESSAGES, langOf, messagesFor } from './i18n.js';
import { createProgram } from './program.js';
import { setNativeUdpMode } from '../stamp/native.js';

/** After the first signal, how long the command gets to write what it measured before the process exits anyway. */
const SIGNAL_GRACE_MS = 5000;
/** After the command finished, how long open handles may keep the process alive before that is treated as a bug. */
const LINGER_MS = 1000;

export async function main(argv: string[]): Promise<void> {
  // A name lookup through the OS (getaddrinfo) cannot be cancelled, and the process cannot exit before it
  // returns: with a dead DNS server glibc's default retries (5 s × 2 per server) held the process ~10 s after
  // its records were written. Probes time out and count lookups themselves, so the OS gets one try, with no
  // shorter wait than their 3 s default. A user's own RES_OPTIONS wins.
  process.env.RES_OPTIONS ??= 'timeout:3 attempts:1';
  // STAMP's native socket (kernel timestamps) can be turned off, e.g. to compare with node:dgram's timing.
  if (process.env.QOSPROBE_NATIVE === '0') setNativeUdpMode('off', 'turned off (QOSPROBE_NATIVE=0)');
  const ctl = new AbortController();
  const lang = langOf(argv.slice(2), process.env);
  let signals = 0;
  let finished = false;
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    if (finished) {
      // The command is done and something still holds the process: nothing is left to write.
      process.exit(EXIT.INTERRUPTED);
    }
    if (signals === 1) {
      // First signal: stop measuring, write what was measured, exit 130. A command that does not
      // stop in time must not outlive a cron wrapper's single SIGTERM (issue 15).
      ctl.abort(name);
      setTimeout(() => {
        process.stderr.write(`qosprobe: still running ${SIGNAL_GRACE_MS / 1000} s after ${name}, exiting now\n`);
        process.exit(EXIT.INTERRUPTED);
      }, SIGNAL_GRACE_MS).unref();
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
    self: selfCommand(process.argv[1], process.cwd(), relative),
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
    // The handlers stay: a signal from here on ends the process at once (see onSignal).
    finished = true;
    exitIfLingering();
  }
}

/**
 * Backstop once the command is done: the process should end by itself now. If a handle is still open
 * after LINGER_MS, that is a leak (a bug: exit 70 unless the command already failed), except a name
 * lookup the OS cannot cancel (getaddrinfo against a dead resolver), which is waited for no longer.
 */
function exitIfLingering(): void {
  setTimeout(() => {
    // stdout/stderr still flushing to a slow reader are no leak: let them finish.
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'FSReqCallback' && r !== 'WriteWrap');
    if (open.length === 0) return;
    if (open.some((r) => r !== 'GetAddrInfoReqWrap')) {
      process.stderr.write(`qosprobe: internal error (please report it): still running after the command finished (open: ${[...new Set(open)].join(', ')})\n`);
      if (!process.exitCode) process.exitCode = EXIT.INTERNAL;
    }
    process.exit();
  }, LINGER_MS).unref();
}

/** One line for user errors, never a stack trace; a stack only for our own bugs. */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (usage errors); help/version exit 0.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (err instanceof QosError) {
    io.stderr.write(`qosprobe: ${messageIn(err, messagesFor(io).lang)}\n`);
    return exitCodeFor(err);
  }
  io.stderr.write(`qosprobe: ${MESSAGES[io.lang ?? 'en'].internalError}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.INTERNAL;
}
