import { Option } from 'commander';
import { QosError } from '../../core/errors.js';
import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';
import { splitHostPort } from '../../net/resolve.js';

export function makeTcpCommand(io: CliIo) {
  return makeAdhocCommand(
    {
      name: 'tcp',
      kind: 'tcp',
      argument: '<host:port>',
      description: 'TCP handshake time, jitter and loss to HOST:PORT',
      examples: ['qosprobe tcp 127.0.0.1:8080', 'qosprobe tcp [::1]:443 --count 10 --interval 500', 'qosprobe tcp localhost:22 --format ndjson | jq .rtt_median_ms'],
      options: (cmd) => cmd.addOption(new Option('-4, --ipv4', 'IPv4 only').conflicts('ipv6')).addOption(new Option('-6, --ipv6', 'IPv6 only')),
      toTest: (arg, o) => {
        const { host, port } = splitHostPort(arg);
        if (port === null) throw new QosError('USAGE', `tcp: expected HOST:PORT (e.g. 127.0.0.1:80 or [::1]:443), got "${arg}"`);
        return { host, fields: { port, family: o.ipv6 ? 6 : o.ipv4 ? 4 : undefined } };
      },
    },
    io,
  );
}
