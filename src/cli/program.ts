/**
 * The command tree. Only commander and the command definitions load here: each action
 * imports its implementation when it runs, so `qosprobe --version` and `--help` stay
 * fast (no undici, no systeminformation, no region table).
 */
import { Command } from 'commander';
import { toolVersion } from '../version.js';
import type { CliIo } from './io.js';
import { makeDemoCommand } from './commands/demo.js';
import { makeInitCommand } from './commands/init.js';
import { makePingCommand } from './commands/ping.js';
import { makeRunCommand } from './commands/run.js';
import { makeTcpCommand } from './commands/tcp.js';
import { makeHttpCommand } from './commands/http.js';
import { makeDnsCommand } from './commands/dns.js';
import { makeDownloadCommand, makeUploadCommand } from './commands/transfer.js';
import { makeReportCommand } from './commands/report.js';
import { makeStampCommand } from './commands/stamp.js';
import { makeServeCommand } from './commands/serve.js';
import { makePushCommand } from './commands/push.js';
import { makeSpoolCommand } from './commands/spool.js';
import { makeScheduleCommand } from './commands/schedule.js';
import { makeMonitorCommand, makeRulesCommand } from './commands/monitor.js';
import { makeTraceCommand } from './commands/trace.js';
import { examples } from './options.js';

export function createProgram(io: CliIo): Command {
  const program = new Command('qosprobe')
    .description('Field QoS probe: latency, jitter, packet loss and throughput, tagged with a location code, as CSV, JSON or NDJSON.')
    .version(toolVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      examples(
        'qosprobe demo                                  # try it: loopback targets it starts itself',
        'qosprobe init && qosprobe run                  # write an example config, then run it',
        'qosprobe run --format ndjson | jq -c .',
        'qosprobe ping 127.0.0.1 --count 10',
      ) + '\nDocs: README.md, docs/schema.md (fields), docs/metrics.md (definitions). Exit codes: 0 ok, 1 test failed (--fail-on-error), 2 usage, 3 config, 4 output, 5 locked, 6 push pending, 70 internal error (a bug: please report it), 130 interrupted.\n',
    );
  program.addCommand(makeRunCommand(io));
  program.addCommand(makePingCommand(io));
  program.addCommand(makeTcpCommand(io));
  program.addCommand(makeHttpCommand(io));
  program.addCommand(makeDnsCommand(io));
  program.addCommand(makeDownloadCommand(io));
  program.addCommand(makeUploadCommand(io));
  program.addCommand(makeReportCommand(io));
  program.addCommand(makeStampCommand(io));
  program.addCommand(makeTraceCommand(io));
  program.addCommand(makeServeCommand(io));
  program.addCommand(makePushCommand(io));
  program.addCommand(makeSpoolCommand(io));
  program.addCommand(makeScheduleCommand(io));
  program.addCommand(makeMonitorCommand(io));
  program.addCommand(makeRulesCommand(io));
  program.addCommand(makeInitCommand(io));
  program.addCommand(makeDemoCommand(io));
  applyToAll(program, io);
  return program;
}

/** exitOverride and output routing are per command in commander: set them on the whole tree. */
function applyToAll(cmd: Command, io: CliIo): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
    // One style for every error: commander's "error: ..." reads like ours, "qosprobe: ...".
    outputError: (s, write) => write(s.replace(/^error: /, 'qosprobe: ')),
  });
  for (const sub of cmd.commands) applyToAll(sub, io);
}
