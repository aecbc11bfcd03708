import { Option } from 'commander';
import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';
import { positiveInt } from '../options.js';
import { splitHostPort } from '../../net/resolve.js';

export function makeStampCommand(io: CliIo) {
  return makeAdhocCommand(
    {
      name: 'stamp',
      kind: 'stamp',
      argument: '<host[:port]>',
      description: 'STAMP/TWAMP-Light (RFC 8762) round trip, jitter per direction and loss per direction to a reflector (port 862 unless given)',
      examples: [
        'qosprobe stamp 127.0.0.1:8862 --count 50 --interval 20',
        'qosprobe stamp reflector.example.net --stateful --size 200',
        'qosprobe stamp [::1]:8862 --format ndjson | jq "{rtt_median_ms, jitter_up_ms, jitter_down_ms, loss_up_percent}"',
      ],
      options: (cmd) =>
        cmd
          .option('-s, --size <bytes>', 'UDP payload of each test packet, 44 (the STAMP minimum) to 65507', positiveInt)
          .option('--stateful', 'the reflector counts packets per session (qosprobe serve --stateful): split loss into up and down')
          .addOption(new Option('-4, --ipv4', 'IPv4 only').conflicts('ipv6'))
          .addOption(new Option('-6, --ipv6', 'IPv6 only')),
      toTest: (arg, o) => {
        const { host, port } = splitHostPort(arg);
        return { host, fields: { port: port ?? undefined, size: o.size, stateful: o.stateful ? true : undefined, family: o.ipv6 ? 6 : o.ipv4 ? 4 : undefined } };
      },
    },
    io,
  );
}
