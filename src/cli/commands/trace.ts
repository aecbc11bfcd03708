import { Option } from 'commander';
import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';
import { port, positiveInt } from '../options.js';

export function makeTraceCommand(io: CliIo) {
  return makeAdhocCommand(
    {
      name: 'trace',
      kind: 'trace',
      argument: '<host>',
      description:
        'Per-hop path trace to HOST (mtr, else traceroute; tracert on Windows): loss, RTT and jitter at every hop over --count rounds. ' +
        'One record for the trace (the target\'s figures; trace_loss_hop / trace_delay_hop: where loss and delay begin), then one per hop (hop, hop_address, hop_note). ' +
        'Defaults: 10 rounds, 1 s apart (mtr allows less than 1 s to root only).',
      examples: [
        'qosprobe trace 10.77.83.2',
        'qosprobe trace 10.77.83.2 --count 50 --interval 200 --format ndjson | jq -c \'{hop, hop_address, loss_percent, rtt_median_ms, hop_note}\'',
        'qosprobe trace ::1 --protocol udp',
        'qosprobe trace 10.77.83.2 -f csv | mlr --icsv --opprint cut -f hop,hop_address,loss_percent,rtt_median_ms,hop_note',
      ],
      options: (cmd) =>
        cmd
          .addOption(new Option('--protocol <name>', 'probe protocol (default icmp; tcp needs mtr, or root with traceroute)').choices(['icmp', 'udp', 'tcp']))
          .option('--port <port>', 'destination port of udp/tcp probes', port)
          .option('--max-hops <n>', 'highest TTL to probe (default 30)', positiveInt)
          .addOption(new Option('--tool <name>', 'tracing tool (default auto: mtr, else traceroute; tracert on Windows)').choices(['auto', 'mtr', 'traceroute', 'tracert']))
          .option('-s, --size <bytes>', 'probe packet size in bytes (default: the tool\'s)', positiveInt)
          .addOption(new Option('-4, --ipv4', 'IPv4 only').conflicts('ipv6'))
          .addOption(new Option('-6, --ipv6', 'IPv6 only')),
      // --port is a flag here, not part of the argument as for tcp.
      flagNames: { port: '--port' },
      toTest: (host, o) => ({
        host,
        fields: { protocol: o.protocol, port: o.port, max_hops: o.maxHops, tool: o.tool, size: o.size, family: o.ipv6 ? 6 : o.ipv4 ? 4 : undefined },
      }),
    },
    io,
  );
}
