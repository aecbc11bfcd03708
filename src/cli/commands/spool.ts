import { Command } from 'commander';
import { EXIT, QosError } from '../../core/errors.js';
import type { CliIo } from '../io.js';
import { examples, nonNegativeNumber } from '../options.js';

function makeRequeueCommand(io: CliIo): Command {
  const cmd = new Command('requeue')
    .description('move rejected batches back to pending, so the next push sends them again')
    .argument('[batch...]', 'batch names or ids, as `qosprobe spool` lists them under rejected')
    .option('--all', 'every rejected batch')
    .option('--spool <dir>', 'spool directory (default: the user state dir)');
  cmd.addHelpText('after', examples('qosprobe spool requeue --all', 'qosprobe spool requeue 20261124T080012.345Z-3b0f6a52-1c1e-4f7e-9d55-0c8a1f6f2e11.ndjson'));
  cmd.action(async (batches: string[], opts: { all?: boolean; spool?: string }) => {
    if (Boolean(opts.all) === batches.length > 0) throw new QosError('USAGE', 'spool requeue: name the batches to requeue, or give --all (not both)');
    const { requeue } = await import('../../app/spool.js');
    const spool = opts.spool ?? (cmd.parent?.opts() as { spool?: string } | undefined)?.spool;
    const { dir, moved } = await requeue(io, { spool, which: opts.all ? { all: true } : { names: batches } });
    io.stderr.write(`qosprobe: spool: requeued ${moved.length} batch(es) in ${dir}${moved.length ? '; they go with the next push' : ''}\n`);
    io.setExitCode(EXIT.OK);
  });
  return cmd;
}

export function makeSpoolCommand(io: CliIo): Command {
  const cmd = new Command('spool')
    .description('list pending, sent and rejected batches in the spool; prune sent ones older than --keep-days; `spool requeue` sends rejected ones again')
    .option('--spool <dir>', 'spool directory (default: the user state dir)')
    .option('--keep-days <n>', 'delete sent batches older than N days (default 14)', nonNegativeNumber)
    .option('--json', 'print the listing as JSON');
  cmd.addCommand(makeRequeueCommand(io));
  cmd.addHelpText('after', examples('qosprobe spool', 'qosprobe spool --keep-days 3 --json', 'qosprobe spool requeue --all'));
  cmd.action(async (opts: { spool?: string; keepDays?: number; json?: boolean }) => {
    const { spoolStatus } = await import('../../app/spool.js');
    const { dir, listing: l, prunedSent, keepDays } = await spoolStatus(io, opts);
    if (opts.json) {
      const row = (b: (typeof l.pending)[number]) => ({
        id: b.id,
        name: b.name,
        state: b.state,
        created_at: b.createdAt.toISOString(),
        size_bytes: b.sizeBytes,
        mtime: b.mtime.toISOString(),
        ...(b.state === 'rejected' ? { reason: b.reason ?? null } : {}),
      });
      io.stdout.write(
        JSON.stringify({ spool: dir, pending: l.pending.map(row), sent: l.sent.map(row), rejected: l.rejected.map(row), pruned_sent: prunedSent, temps: l.temps }, null, 2) + '\n',
      );
    } else {
      const lines = [`spool: ${dir}`, `pending: ${l.pending.length}`, ...l.pending.map((b) => `  ${b.name}  ${b.sizeBytes} bytes`)];
      lines.push(`sent: ${l.sent.length}${prunedSent.length ? ` (pruned ${prunedSent.length} older than ${keepDays} days)` : ''}`);
      for (const b of l.sent) lines.push(`  ${b.name}  sent ${b.mtime.toISOString()}`);
      if (l.rejected.length) {
        lines.push(`rejected (set aside, never retried on their own; send again with: qosprobe spool requeue --all): ${l.rejected.length}`, ...l.rejected.map((b) => `  ${b.name}${b.reason ? `  (${b.reason})` : ''}`));
      }
      io.stdout.write(lines.join('\n') + '\n');
    }
    io.setExitCode(EXIT.OK);
  });
  return cmd;
}
