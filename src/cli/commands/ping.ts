import { Option } from 'commander';
import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';
import { positiveInt } from '../options.js';

export function makePingCommand(io: CliIo) {
  return makeAdhocCommand(
    {
      name: 'ping',
      kind: 'icmp',
      argument: '<host>',
      description: 'ICMP echo latency, jitter and loss to HOST through the system ping',
      examples: ['qosprobe ping 127.0.0.1', 'qosprobe ping ::1 --count 50 --interval 100 --format ndjson', 'qosprobe ping 127.0.0.1 -l 32.73 -o results.csv --append'],
      options: (cmd) =>
        cmd
          .option('-s, --size <bytes>', 'ICMP payload size in bytes (default 56)', positiveInt)
          .addOption(new Option('-4, --ipv4', 'IPv4 only').conflicts('ipv6'))
          .addOption(new Option('-6, --ipv6', 'IPv6 only')),
      toTest: (host, o) => ({ host, fields: { size: o.size, family: o.ipv6 ? 6 : o.ipv4 ? 4 : undefined } }),
    },
    io,
  );
}
