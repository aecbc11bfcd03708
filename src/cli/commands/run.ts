import { Command } from 'commander';
import type { UnattendedFlags } from '../../app/unattended.js';
import type { CliIo } from '../io.js';
import { addOutputOptions, examples, type MeasureFlags } from '../options.js';
import { addUnattendedOptions } from './unattended-options.js';
import { probeKindsHelp } from '../../probes/kinds.js';
import { messagesFor } from '../i18n.js';

export function makeRunCommand(io: CliIo): Command {
  const cmd = new Command('run')
    .description('run every configured test against every configured endpoint; one record per (endpoint, test)')
    .option('-C, --config <file>', 'config file (default: $QOSPROBE_CONFIG, ./qosprobe.yaml, then the user config dir)');
  addOutputOptions(cmd);
  addUnattendedOptions(cmd);
  cmd.addHelpText(
    'after',
    examples(
      'qosprobe run',
      'qosprobe run --config /etc/qosprobe.yaml --location 32.73.01 --out results.csv --append',
      'qosprobe run --format ndjson | jq -c "select(.status != \\"ok\\")"',
      'qosprobe run --deadline 300 --fail-on-error --quiet',
      'qosprobe run --splay 60 --wait-lock 120 --push http://vm.example:8428/write   # from cron',
      'qosprobe run --textfile-dir /var/lib/prometheus/node-exporter',
    ) + `\n${messagesFor(io).gatewayNote}\n\nProbe kinds (a test's \`kind:\` in the config; each has an ad hoc command for one test):\n${probeKindsHelp()}\n`,
  );
  cmd.action(async (opts: MeasureFlags & UnattendedFlags & { config?: string }) => {
    const [{ loadRequiredConfig }, { execute }] = await Promise.all([import('../context.js'), import('../execute.js')]);
    const config = await loadRequiredConfig(opts.config, io);
    await execute({ config, flags: opts, io, requireLocation: true, unattended: opts });
  });
  return cmd;
}
