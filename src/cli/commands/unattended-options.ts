/** The unattended-run options of `run` (docs/field-operations.md). */
import { Option, type Command } from 'commander';
import { PUSH_FORMATS } from '../../core/format-names.js';
import { nonNegativeSeconds, positiveSeconds } from '../options.js';

export function addUnattendedOptions(cmd: Command): Command {
  return cmd
    .option('--splay <seconds>', 'wait a random 0..SECONDS before starting, so a fleet on one cron minute does not hit a server at once', nonNegativeSeconds)
    .option('--wait-lock <seconds>', 'if another run of this config (or writer of the same output file) is still going, wait up to SECONDS for it (default: exit 5 at once)', nonNegativeSeconds)
    .option('--spool <dir>', 'keep a durable copy of the records in DIR for `qosprobe push` (default: the user state dir)')
    .option('--no-spool', 'do not keep a spool copy')
    .option('--push <url>', 'after measuring, push every unsent spooled batch to URL (exit 6 if some are still waiting)')
    .addOption(new Option('--push-format <format>', 'body format for --push: required when the URL path does not say which; refused when it contradicts it').choices(PUSH_FORMATS))
    .option('--push-token <token>', 'bearer token for --push (prefer $QOSPROBE_PUSH_TOKEN: argv is visible to other users)')
    .option('--push-deadline <seconds>', 'give up pushing after SECONDS (default 60); unsent batches wait for the next push', positiveSeconds)
    .option('--textfile-dir <dir>', "also write DIR/qosprobe.prom for node_exporter's textfile collector (atomic rename)");
}
