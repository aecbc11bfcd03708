import { Command, Option } from 'commander';
import { EXIT } from '../../errors.js';
import { PUSH_FORMATS, type PushFormat } from '../../spool/push-formats.js';
import type { CliIo } from '../io.js';
import { examples, positiveNumber } from '../options.js';

interface PushFlags {
  spool?: string;
  to: string;
  format?: PushFormat;
  token?: string;
  deadline?: number;
  gzip?: boolean;
}

export function makePushCommand(io: CliIo): Command {
  const cmd = new Command('push')
    .description('send every unsent spooled batch, oldest first; a batch is marked sent only after a 2xx (exit 6 if some are still waiting)')
    .option('--spool <dir>', 'spool directory (default: the user state dir)')
    .requiredOption('--to <url>', 'receiver URL: an NDJSON endpoint, InfluxDB/VictoriaMetrics /write, a Pushgateway /metrics/job/qosprobe/instance/ID')
    .addOption(new Option('--format <format>', 'body format (default ndjson)').choices(PUSH_FORMATS))
    .option('--token <token>', 'bearer token (prefer $QOSPROBE_PUSH_TOKEN: argv is visible to other users)')
    .option('--deadline <seconds>', 'give up after SECONDS, retries included (default 120)', positiveNumber)
    .option('--no-gzip', 'send bodies uncompressed (for receivers without Content-Encoding: gzip)');
  cmd.addHelpText(
    'after',
    examples(
      'qosprobe push --to https://collector.example/qos/ingest',
      'qosprobe push --to http://vm.example:8428/write --format influx',
      'qosprobe push --to http://pushgw.example:9091/metrics/job/qosprobe/instance/tps-017 --format openmetrics',
    ) + `\nExit codes: 0 nothing left to send, ${EXIT.PUSH_PENDING} some batches are still waiting (run push again later), 2 usage, 130 interrupted.\n`,
  );
  cmd.action(async (opts: PushFlags) => {
    const [{ defaultSpoolDir }, { parsePushUrl, pushAndReport }, { resolve }] = await Promise.all([
      import('../../spool/paths.js'),
      import('../field-ops.js'),
      import('node:path'),
    ]);
    const dir = opts.spool ? resolve(io.cwd, opts.spool) : defaultSpoolDir(io.env);
    const res = await pushAndReport(io, {
      dir,
      url: parsePushUrl(opts.to),
      format: opts.format ?? 'ndjson',
      token: opts.token ?? io.env.QOSPROBE_PUSH_TOKEN ?? null,
      deadlineMs: (opts.deadline ?? 120) * 1000,
      gzip: opts.gzip !== false,
    });
    if (io.signal.aborted && res.pending.length > 0) io.setExitCode(EXIT.INTERRUPTED);
    else io.setExitCode(res.pending.length > 0 ? EXIT.PUSH_PENDING : EXIT.OK);
  });
  return cmd;
}
