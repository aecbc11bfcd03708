import { Command } from 'commander';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../io.js';
import { messagesFor } from '../i18n.js';
import { addOutputOptions, examples, type MeasureFlags } from '../options.js';
import { FORMATS } from '../../core/format-names.js';

export function makeDemoCommand(io: CliIo): Command {
  const cmd = new Command('demo').description(
    'start loopback targets in-process and run the full suite against them: a self-contained try-out that needs no network (no packet leaves loopback, not even to the gateway)',
  );
  addOutputOptions(cmd);
  cmd.option('-C, --config <file>', 'take probe id, location and defaults from this config');
  cmd.addHelpText('after', examples('qosprobe demo', 'qosprobe demo --format ndjson | jq -c "{test, rtt_median_ms, loss_percent}"'));
  cmd.action(async (opts: MeasureFlags & { config?: string }) => {
    const [{ loadOptionalConfig }, { execute }, { runDemo }] = await Promise.all([import('../context.js'), import('../execute.js'), import('../../app/demo.js')]);
    const base = await loadOptionalConfig(opts.config, io);
    const flags = demoFlags(opts, Boolean((io.stdout as { isTTY?: boolean }).isTTY), tmpdir());
    await execute({ config: base, flags, io, requireLocation: false, run: runDemo });
    if (flags.out !== opts.out && !flags.quiet) io.stderr.write(`qosprobe: ${messagesFor(io).demoRecords(io.self ?? 'qosprobe')}\n`);
  });
  return cmd;
}

/**
 * On a terminal, records between the spinner lines are a wall of wrapped CSV: the demo shows its summary table and
 * writes the records to a file in the temp directory instead (named on stderr). Piped, or with --out, as asked.
 */
export function demoFlags<F extends MeasureFlags>(flags: F, stdoutIsTty: boolean, tmp: string): F {
  if (!stdoutIsTty || flags.out !== undefined) return flags;
  const format = flags.format ?? 'csv';
  return { ...flags, format, out: join(tmp, `qosprobe-demo.${FORMATS[format].extension}`), append: false };
}
