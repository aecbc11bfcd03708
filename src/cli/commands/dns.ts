import { Option } from 'commander';
import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';

export function makeDnsCommand(io: CliIo) {
  return makeAdhocCommand(
    {
      name: 'dns',
      kind: 'dns',
      argument: '<name>',
      description: 'DNS resolution time of NAME through the system resolver or --server',
      examples: ['qosprobe dns example.id', 'qosprobe dns example.id --server 127.0.0.53 --record AAAA', 'qosprobe dns example.id --server 127.0.0.1:5353 --nocache'],
      options: (cmd) =>
        cmd
          .option('--server <ip[:port]>', 'ask this resolver directly instead of the system resolver')
          .addOption(new Option('--record <type>', 'record type').choices(['A', 'AAAA']))
          .option('--nocache', 'query a random label under NAME each time, so caches cannot answer'),
      toTest: (arg, o) => ({ host: arg, fields: { name: arg, server: o.server, record: o.record, nocache: o.nocache } }),
    },
    io,
  );
}
