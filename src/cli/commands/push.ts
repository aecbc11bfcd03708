import { Command, Option } from 'commander';
import { EXIT } from '../../core/errors.js';
import { PUSH_FORMATS } from '../../core/format-names.js';
import type { PushFlags } from '../../app/push.js';
import { appIoOf, type CliIo } from '../io.js';
import { examples, positiveNumber } from '../options.js';

export function makePushCommand(io: CliIo): Command {
  const cmd = new Command('push')
    .description('send every unsent spooled batch, oldest first; a batch is marked sent only after a 2xx (exit 6 if some are still waiting or were set aside)')
    .option('--spool <dir>', 'spool directory (default: the user state dir)')
    .requiredOption('--to <url>', 'receiver URL; its path picks the format: /write, /api/v2/write (influx), /api/v1/import (vmimport), /api/v1/import/prometheus, /metrics/job/... (openmetrics)')
    .addOption(new Option('--format <format>', 'body format: required when the path does not say; refused when it contradicts the path').choices(PUSH_FORMATS))
    .option('--token <token>', 'bearer token (prefer $QOSPROBE_PUSH_TOKEN: argv is visible to other users)')
    .option('--deadline <seconds>', 'give up after SECONDS, retries included (default 120)', positiveNumber)
    .option('--no-gzip', 'send bodies uncompressed (for receivers without Content-Encoding: gzip)')
    .option('--no-verify', "do not ask VictoriaMetrics whether it dropped rows (three GETs of its /metrics per push, 2.5 s after the last batch)")
    .option('--allow-push-time', 'push records measured more than 5 minutes ago to a receiver that stamps them with the push time (Pushgateway)')
    .option('-q, --quiet', 'no summary line on stderr (problems are still reported)');
  cmd.addHelpText(
    'after',
    examples(
      'qosprobe push --to http://vm.example:8428/write                       # influx, with timestamps',
      'qosprobe push --to http://vm.example:8428/api/v1/import/prometheus    # Prometheus text, with timestamps',
      'qosprobe push --to https://collector.example/qos/ingest --format ndjson',
      'qosprobe push --to http://pushgw.example:9091/metrics/job/qosprobe/instance/tps-017',
    ) +
      `\nExit codes: 0 everything sent, 2 usage (also: old records for a receiver that would stamp them with the push time), 4 sent but the spool could not be updated,\n` +
      `${EXIT.PUSH_PENDING} some batches are still waiting (run push again later) or were set aside in rejected/ (qosprobe spool requeue), 130 interrupted.\n`,
  );
  cmd.action(async (opts: PushFlags) => {
    const { push } = await import('../../app/push.js');
    io.setExitCode((await push(appIoOf(io), opts)).exitCode);
  });
  return cmd;
}
