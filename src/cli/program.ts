/**
 * The command tree. Only commander and the command definitions load here: each action
 * imports its implementation when it runs, so `qosprobe --version` and `--help` stay
 * fast (no undici, no systeminformation, no region table).
 */
import { Command, Option } from 'commander';
import { toolVersion } from '../version.js';
import type { CliIo } from './io.js';
import { makeDemoCommand } from './commands/demo.js';
import { makeInitCommand } from './commands/init.js';
import { makeRunCommand } from './commands/run.js';
import { makeReportCommand } from './commands/report.js';
import { makeServeCommand } from './commands/serve.js';
import { makePushCommand } from './commands/push.js';
import { makeSpoolCommand } from './commands/spool.js';
import { makeScheduleCommand } from './commands/schedule.js';
import { makeMonitorCommand, makeRulesCommand } from './commands/monitor.js';
import { makeProbeCommands } from './adhoc.js';
import { PROBE_KINDS } from '../probes/kinds.js';
import { examples } from './options.js';
import { LANGS, messagesFor, usageLine, type Messages } from './i18n.js';

export function createProgram(io: CliIo): Command {
  const m = messagesFor(io);
  const program = new Command('qosprobe')
    .description(m.programDescription ?? 'Field QoS probe: latency, jitter, packet loss and throughput, tagged with a location code, as CSV, JSON or NDJSON.')
    .version(toolVersion(), '-V, --version', m.versionOption ?? undefined)
    // Root options only before the command name: `report --lang` stays the report's own option.
    .enablePositionalOptions()
    .showHelpAfterError(m.helpAfterError)
    .addHelpText(
      'after',
      examples(
        'qosprobe demo                                  # try it: loopback targets it starts itself',
        'qosprobe init && qosprobe run                  # write an example config, then run it',
        'qosprobe run --format ndjson | jq -c .',
        'qosprobe ping 127.0.0.1 --count 10',
      ) +
        `\nProbe kinds (a config test's kind; \`qosprobe run --help\` describes each): ${PROBE_KINDS.join(', ')}` +
        `\nDocs: README.md, docs/schema.md (fields), docs/metrics.md (definitions). ${m.exitCodes}\n`,
    );
  program.addCommand(makeRunCommand(io));
  // One ad hoc command per probe kind, generated from the registry's descriptors (probes/kinds.ts).
  for (const cmd of makeProbeCommands(io)) program.addCommand(cmd);
  program.addCommand(makeReportCommand(io));
  program.addCommand(makeServeCommand(io));
  program.addCommand(makePushCommand(io));
  program.addCommand(makeSpoolCommand(io));
  program.addCommand(makeScheduleCommand(io));
  program.addCommand(makeMonitorCommand(io));
  program.addCommand(makeRulesCommand(io));
  program.addCommand(makeInitCommand(io));
  program.addCommand(makeDemoCommand(io));
  applyToAll(program, io, m);
  return program;
}

/** exitOverride and output routing are per command in commander: set them on the whole tree. */
function applyToAll(cmd: Command, io: CliIo, m: Messages): void {
  cmd.exitOverride();
  if (m.helpOption) cmd.helpOption('-h, --help', m.helpOption);
  const described = m.commands[cmd.name()];
  if (described && cmd.parent) cmd.description(described);
  // Option texts from the catalogue (keyed by their English text): --help reads in the user's language.
  if (m.optionHelp) for (const o of cmd.options) o.description = m.optionHelp[o.description] ?? o.description;
  // commander's own headings ("Usage:", "Options:"...) through the same catalogue.
  if (m.helpTitles) {
    const titles = m.helpTitles;
    cmd.configureHelp({ styleTitle: (t) => titles[t] ?? t });
  }
  // --lang is read from argv before commander runs (help is built in that language); declared so it is accepted.
  if (!cmd.options.some((o) => o.long === '--lang')) cmd.addOption(new Option('--lang <lang>', m.langOption).choices(LANGS));
  cmd.configureOutput({
    // Our own "Examples:" heading (options.ts' examples(), added as help text) is a line of its own: the same catalogue.
    // commander's "(choices: ...)" and "(default: ...)" after an option likewise.
    writeOut: (s) =>
      io.stdout.write(m.helpTitles ? s.replace(/^[A-Z][a-z ]+:$/gm, (t) => m.helpTitles?.[t] ?? t).replace(/\((choices|default):(?=\s)/g, (t) => m.helpTitles?.[t] ?? t) : s),
    writeErr: (s) => io.stderr.write(s),
    // One style for every error: commander's "error: ..." reads like ours, "qosprobe: ...".
    outputError: (s, write) => write(usageLine(s, m)),
  });
  for (const sub of cmd.commands) applyToAll(sub, io, m);
}
