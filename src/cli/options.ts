/** Options shared by `run`, `demo` and every ad hoc command, and their value parsers. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { RunFlags } from '../app/run.js';
import { APPENDABLE_FORMATS, FORMAT_NAMES } from '../core/format-names.js';
import { isInterfaceName } from '../core/samples.js';
import { phrase, say } from '../core/messages.js';

/** A value parser's refusal, in English for commander and remembered in every language (cli/i18n.ts shows it). */
const refuse = (expected: string, got: string) => new InvalidArgumentError(say('expectedGot', phrase(expected), got).en);

/** Where the probe is (run, demo, ad hoc commands, monitor): read once, by config/resolve-location.ts. */
export interface LocationFlags {
  location?: string;
  locationUnchecked?: boolean;
}

/** The flags of every measuring command (run, demo, ad hoc): where it is, where records go, how it runs (app/run.ts), and the terminal's. */
export interface MeasureFlags extends RunFlags {
  quiet?: boolean;
}

/** The registry's streaming output formats: a file of them can be appended to. */
export { APPENDABLE_FORMATS };

export function addOutputOptions(cmd: Command): Command {
  // No commander defaults here: the config file must be able to set these (defaults < file < env < flags).
  return addLocationOptions(cmd)
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMAT_NAMES))
    .option('-o, --out <file>', 'write records to this file instead of stdout ("-": stdout, even when the config names a file)')
    .option('-a, --append', `append to --out (${APPENDABLE_FORMATS.join(', ')}): no second header; a file of another header or format is refused`)
    .option('-q, --quiet', 'no spinner or summary on stderr')
    .option('--no-host-info', 'do not record the network context (interface, gateway, Wi-Fi, cellular)')
    .option('--no-gateway-ping', 'do not ping the default gateway alongside each test (gateway_rtt_ms, gateway_loss_percent)')
    .option('--trace-on-failure [rounds]', 'after a test that fails or loses packets, trace the path to its host (default 10 rounds) and put where loss begins on its record (trace_loss_hop)', positiveInt)
    .option('--interface <names>', 'measure over this link (e.g. wwan0), leaving through that device even when it is not the default route; a comma-separated list measures every test over each; "auto": every up interface with a default route (not loopback or virtual). Overrides the config\'s interfaces and interface', interfaceList)
    .option('--fail-on-error', 'exit 1 when any test did not end with status ok (for monitoring wrappers)')
    .option('--deadline <seconds>', 'stop measuring after this many seconds; unfinished tests are recorded as partial', positiveSeconds);
}

export function addLocationOptions(cmd: Command): Command {
  return cmd
    .option('-l, --location <code>', 'region code of this site, e.g. 32.73 (overrides the config and $QOSPROBE_LOCATION)')
    .option('--location-unchecked', 'accept a location code that is not in the bundled region table');
}

export function addProbeOptions(cmd: Command): Command {
  return cmd
    .option('-c, --count <n>', 'packets or attempts to send', positiveInt)
    .option('-i, --interval <ms>', 'time between packets, ms', positiveNumber)
    .option('-t, --timeout <ms>', 'loss threshold / per-attempt timeout, ms', positiveNumber);
}

/** --interface: `auto`, or interface names separated by commas (each as Linux accepts one: 1-15 characters, no / : or spaces). */
export function interfaceList(v: string): string[] | 'auto' {
  if (v.trim() === 'auto') return 'auto';
  const names = v.split(',').map((n) => n.trim());
  const bad = names.find((n) => !isInterfaceName(n));
  if (bad !== undefined) throw new InvalidArgumentError(`expected auto or interface names separated by commas (1-15 characters, no "/", ":" or spaces); found "${bad}"`);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('an interface is named twice');
  return names;
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw refuse('an integer ≥ 1', v);
  return n;
}

export function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw refuse('a number ≥ 0', v);
  return n;
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw refuse('a number > 0', v);
  return n;
}

/** The longest a Node timer can wait (2^31 - 1 ms, about 24.8 days), in whole seconds: beyond it setTimeout fires at once. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A duration in seconds (--deadline, --push-deadline): > 0 and within what a timer can wait. */
export function positiveSeconds(v: string): number {
  const n = positiveNumber(v);
  if (n > MAX_TIMER_SECONDS) throw refuse(`a number of seconds > 0 and ≤ ${MAX_TIMER_SECONDS}`, v);
  return n;
}

/** A delay in seconds (--splay, --wait-lock): ≥ 0 and within what a timer can wait. */
export function nonNegativeSeconds(v: string): number {
  const n = nonNegativeNumber(v);
  if (n > MAX_TIMER_SECONDS) throw refuse(`a number of seconds from 0 to ${MAX_TIMER_SECONDS}`, v);
  return n;
}

export function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 65535) throw refuse('a port from 1 to 65535', v);
  return n;
}

/** Help text with examples, the same layout on every command. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
