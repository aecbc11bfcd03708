import { Command } from 'commander';
import type { CliIo } from '../io.js';
import { messagesFor } from '../i18n.js';
import { examples } from '../options.js';

export function makeInitCommand(io: CliIo): Command {
  return new Command('init')
    .description('write a commented example config to ./qosprobe.yaml (never overwrites)')
    .option('-o, --out <file>', 'write it here instead', 'qosprobe.yaml')
    .addHelpText('after', examples('qosprobe init', 'qosprobe init --out /etc/qosprobe.yaml'))
    .action(async (opts: { out: string }) => {
      const [{ writeExampleConfig }, { QosError }] = await Promise.all([import('../../app/init.js'), import('../../core/errors.js')]);
      const { path, outcome } = writeExampleConfig(io, opts.out);
      if (outcome === 'exists') throw new QosError('OUTPUT_FAILED', messagesFor(io).initExists(path));
      io.stderr.write(`${messagesFor(io).initWrote(path)}\n`);
    });
}
