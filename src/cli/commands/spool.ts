import { Command } from 'commander';
import { EXIT } from '../../errors.js';
import type { CliIo } from '../io.js';
import { examples, nonNegativeNumber } from '../options.js';

export function makeSpoolCommand(io: CliIo): Command {
  const cmd = new Command('spool')
    .description('list pending, sent and rejected batches in the spool; prune sent ones older than --keep-days')
    .option('--spool <dir>', 'spool directory (default: the user state dir)')
    .option('--keep-days <n>', 'delete sent batches older than N days (default 14)', nonNegativeNumber)
    .option('--json', 'print the listing as JSON');
  cmd.addHelpText('after', examples('qosprobe spool', 'qosprobe spool --keep-days 3 --json'));
  cmd.action(async (opts: { spool?: string; keepDays?: number; json?: boolean }) => {
    const [{ defaultSpoolDir }, { listSpool, pruneSpool }, { resolve }] = await Promise.all([
      import('../../spool/paths.js'),
      import('../../spool/spool.js'),
      import('node:path'),
    ]);
    const dir = opts.spool ? resolve(io.cwd, opts.spool) : defaultSpoolDir(io.env);
    const pruned = pruneSpool(dir, opts.keepDays ?? 14);
    const l = listSpool(dir);
    if (opts.json) {
      const row = (b: (typeof l.pending)[number]) => ({ id: b.id, name: b.name, state: b.state, created_at: b.createdAt.toISOString(), size_bytes: b.sizeBytes, mtime: b.mtime.toISOString() });
      io.stdout.write(
        JSON.stringify({ spool: dir, pending: l.pending.map(row), sent: l.sent.map(row), rejected: l.rejected.map(row), pruned_sent: pruned.removedSent, temps: l.temps }, null, 2) + '\n',
      );
    } else {
      const lines = [`spool: ${dir}`, `pending: ${l.pending.length}`, ...l.pending.map((b) => `  ${b.name}  ${b.sizeBytes} bytes`)];
      lines.push(`sent: ${l.sent.length}${pruned.removedSent.length ? ` (pruned ${pruned.removedSent.length} older than ${opts.keepDays ?? 14} days)` : ''}`);
      for (const b of l.sent) lines.push(`  ${b.name}  sent ${b.mtime.toISOString()}`);
      if (l.rejected.length) lines.push(`rejected (refused by the receiver, kept for inspection): ${l.rejected.length}`, ...l.rejected.map((b) => `  ${b.name}`));
      io.stdout.write(lines.join('\n') + '\n');
    }
    io.setExitCode(EXIT.OK);
  });
  return cmd;
}
