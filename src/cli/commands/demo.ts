import { Command } from 'commander';
import type { CliIo } from '../io.js';
import { addOutputOptions, examples, type OutputFlags } from '../options.js';

export function makeDemoCommand(io: CliIo): Command {
  const cmd = new Command('demo').description(
    'start loopback targets in-process and run the full suite against them: a self-contained try-out that needs no network',
  );
  addOutputOptions(cmd);
  cmd.option('-C, --config <file>', 'take probe id, location and defaults from this config');
  cmd.addHelpText('after', examples('qosprobe demo', 'qosprobe demo --format ndjson | jq -c "{test, rtt_median_ms, loss_percent}"'));
  cmd.action(async (opts: OutputFlags & { config?: string }) => {
    const [{ loadOptionalConfig }, { execute }, { startDemoTargets }] = await Promise.all([
      import('../context.js'),
      import('../execute.js'),
      import('../demo-targets.js'),
    ]);
    const base = await loadOptionalConfig(opts.config, io);
    const targets = await startDemoTargets();
    try {
      await execute({ config: { ...base, endpoints: targets.endpoints(base) }, flags: opts, io, requireLocation: false });
    } finally {
      await targets.close();
    }
  });
  return cmd;
}
