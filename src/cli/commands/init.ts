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
      const [{ writeFileSync }, { resolve }, { EXAMPLE_CONFIG }, { QosError }] = await Promise.all([
        import('node:fs'),
        import('node:path'),
        import('../../config/example.js'),
        import('../../core/errors.js'),
      ]);
      const path = resolve(io.cwd, opts.out);
      try {
        writeFileSync(path, EXAMPLE_CONFIG, { flag: 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new QosError(
          'OUTPUT_FAILED',
          code === 'EEXIST' ? messagesFor(io).initExists(path) : `cannot write ${path}: ${(err as Error).message}`,
        );
      }
      io.stderr.write(`${messagesFor(io).initWrote(path)}\n`);
    });
}
