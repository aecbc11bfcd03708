/**
 * What each probe kind is, for people: its summary and its ad hoc command (argument, flags, examples). Cheap on
 * purpose (no probe code, no libraries), so `qosprobe --help` lists the kinds and builds their commands without
 * loading a probe; probes/index.ts holds the implementations and must have one for every kind here (and no other).
 */
import { SERVE_DEFAULTS } from '../core/serve-defaults.js';

/** How an ad hoc command's argument becomes the test's endpoint host and config keys (see cli/adhoc.ts). */
export type AdhocArgument = 'host' | 'host:port' | 'host[:port]' | 'url' | 'name';

/** A kind-specific flag of an ad hoc command: it sets one config key of the test entry, checked by the kind's own parse. */
export interface FlagInfo {
  /** As commander takes them: '-s, --size <bytes>', '--stateful'. */
  readonly flags: string;
  readonly description: string;
  /** The config key it sets (`max_redirects` for --max-redirects). */
  readonly key: string;
  /** How the text is read before the config's bounds check it: a number rule, or the accepted choices; else text (or true for a bare flag). */
  readonly value?: 'positiveInt' | 'positiveNumber' | 'nonNegativeNumber' | 'port' | 'numberOrText' | readonly string[];
  /** An environment variable that supplies it (a token kept out of shell history). */
  readonly env?: string;
}

export interface ProbeInfo {
  /** One line for --help (`run --help` lists the kinds) and docs. */
  readonly summary: string;
  /** The ad hoc command running one test of this kind. */
  readonly command: {
    readonly name: string;
    readonly argument: AdhocArgument;
    readonly description: string;
    readonly examples: readonly string[];
    readonly flags: readonly FlagInfo[];
    /** -4 / -6 set the `family` key. */
    readonly family?: boolean;
  };
}

const SIZE = (description: string): FlagInfo => ({ flags: '-s, --size <bytes>', description, key: 'size', value: 'positiveInt' });
const CA_FILE: FlagInfo = { flags: '--ca-file <file>', description: 'trust this CA certificate (PEM) too', key: 'ca_file' };
const INSECURE: FlagInfo = { flags: '-k, --insecure', description: 'accept any TLS certificate', key: 'insecure' };
// A header, not a query param: request URLs get persisted in logs. The environment keeps it out of shell history.
const TOKEN: FlagInfo = { flags: '--token <token>', description: 'bearer token of a `qosprobe serve --token`', key: 'token', env: 'QOSPROBE_TOKEN' };

/** download and upload share every flag. */
const TRANSFER_FLAGS: readonly FlagInfo[] = [
  { flags: '-d, --duration <seconds>', description: 'how long to transfer (default 10)', key: 'duration_s', value: 'positiveNumber' },
  // No -s: it means the packet size in ping and stamp.
  { flags: '--streams <n>', description: 'parallel connections (default 4)', key: 'streams', value: 'positiveInt' },
  { flags: '-w, --warmup <seconds>', description: 'excluded from the steady-state figures (default min(20% of the test, 2 s))', key: 'warmup_s', value: 'nonNegativeNumber' },
  { flags: '--bytes <n>', description: 'bytes per request ({bytes} in the URL; default 100000000)', key: 'bytes', value: 'positiveInt' },
  { flags: '--ping-url <url>', description: 'where RTT under load is sampled (default /ping on the same origin)', key: 'ping_url' },
  CA_FILE,
  INSECURE,
  TOKEN,
];

const { httpPort, stampPort } = SERVE_DEFAULTS;

export const PROBE_INFO = {
  icmp: {
    summary: 'ICMP echo (system ping): round-trip time, loss and jitter to a host',
    command: {
      name: 'ping',
      argument: 'host',
      description: 'ICMP echo latency, jitter and loss to HOST through the system ping',
      examples: ['qosprobe ping 127.0.0.1', 'qosprobe ping ::1 --count 50 --interval 100 --format ndjson', 'qosprobe ping 127.0.0.1 -l 32.73 -o results.csv --append'],
      flags: [SIZE('ICMP payload size in bytes (default 56)')],
      family: true,
    },
  },
  tcp: {
    summary: 'TCP handshake time to host:port',
    command: {
      name: 'tcp',
      argument: 'host:port',
      description: 'TCP handshake time, jitter and loss to HOST:PORT',
      examples: [`qosprobe tcp 127.0.0.1:${httpPort}`, 'qosprobe tcp [::1]:443 --count 10 --interval 500', 'qosprobe tcp localhost:22 --format ndjson | jq .rtt_median_ms'],
      flags: [],
      family: true,
    },
  },
  http: {
    summary: 'HTTP request phases (DNS, connect, TLS, TTFB, total), cold and warm',
    command: {
      name: 'http',
      argument: 'url',
      description: 'HTTP request phases (DNS, connect, TLS, time to first byte, total) to URL: a cold sample, then warm ones on the kept-alive connection',
      examples: [
        `qosprobe http http://127.0.0.1:${httpPort}/ping`,
        'qosprobe http https://intranet.example/health --ca-file ca.pem --count 10',
        `qosprobe http http://[::1]:${httpPort}/ --expect-status 404 --format ndjson`,
      ],
      flags: [
        { flags: '--expect-status <status>', description: 'accepted status: a code (204) or a class (2xx, the default)', key: 'expect_status' },
        CA_FILE,
        INSECURE,
        TOKEN,
        { flags: '--max-redirects <n>', description: 'redirects to follow (0: report the 3xx)', key: 'max_redirects', value: 'numberOrText' },
      ],
    },
  },
  dns: {
    summary: 'DNS resolution time (system resolver or a given server), optionally cache-defeating',
    command: {
      name: 'dns',
      argument: 'name',
      description: 'DNS resolution time of NAME through the system resolver or --server',
      examples: ['qosprobe dns example.id', 'qosprobe dns example.id --server 127.0.0.53 --record AAAA', 'qosprobe dns example.id --server 127.0.0.1:5353 --nocache'],
      flags: [
        { flags: '--server <ip[:port]>', description: 'ask this resolver directly instead of the system resolver', key: 'server' },
        { flags: '--record <type>', description: 'record type', key: 'record', value: ['A', 'AAAA'] },
        { flags: '--nocache', description: 'query a random label under NAME each time, so caches cannot answer', key: 'nocache' },
      ],
    },
  },
  download: {
    summary: 'download throughput over parallel HTTP streams, with latency under load',
    command: {
      name: 'download',
      argument: 'url',
      description: 'download throughput from URL (a template: {bytes} becomes the request size) over parallel streams, with latency under load',
      examples: [`qosprobe download "http://127.0.0.1:${httpPort}/down?bytes={bytes}" --duration 5 --streams 4`, 'qosprobe download "https://speed.example/__down?bytes={bytes}" --bytes 25000000 --format ndjson'],
      flags: TRANSFER_FLAGS,
    },
  },
  upload: {
    summary: 'upload throughput over parallel HTTP streams, with latency under load',
    command: {
      name: 'upload',
      argument: 'url',
      description: 'upload throughput to URL (POST of generated incompressible bytes) over parallel streams, with latency under load',
      examples: [`qosprobe upload http://127.0.0.1:${httpPort}/up --duration 5 --streams 4`, 'qosprobe upload https://speed.example/__up --bytes 25000000 --format ndjson'],
      flags: TRANSFER_FLAGS,
    },
  },
  stamp: {
    summary: 'STAMP/TWAMP-Light (RFC 8762) round trip, one-way jitter and up/down loss to host:port',
    command: {
      name: 'stamp',
      argument: 'host[:port]',
      description: `STAMP/TWAMP-Light (RFC 8762) round trip, jitter per direction and loss per direction to a reflector (port ${stampPort} unless given)`,
      examples: [
        'qosprobe stamp 127.0.0.1:8862 --count 50 --interval 20',
        'qosprobe stamp reflector.example.net --stateful --size 200',
        'qosprobe stamp [::1]:8862 --format ndjson | jq "{rtt_median_ms, jitter_up_ms, jitter_down_ms, loss_up_percent}"',
      ],
      flags: [
        SIZE('UDP payload of each test packet, 44 (the STAMP minimum) to 65507'),
        { flags: '--stateful', description: 'the reflector counts packets per session (qosprobe serve --stateful): split loss into up and down', key: 'stateful' },
      ],
      family: true,
    },
  },
  trace: {
    summary: 'per-hop path trace (mtr, traceroute or tracert): loss and RTT at every hop, where loss and delay begin',
    command: {
      name: 'trace',
      argument: 'host',
      description:
        'Per-hop path trace to HOST (mtr, else traceroute; tracert on Windows): loss, RTT and jitter at every hop over --count rounds. ' +
        "One record for the trace (the target's figures; trace_loss_hop / trace_delay_hop: where loss and delay begin), then one per hop (hop, hop_address, hop_note). " +
        'Defaults: 10 rounds, 1 s apart (mtr allows less than 1 s to root only).',
      examples: [
        'qosprobe trace 10.77.83.2',
        "qosprobe trace 10.77.83.2 --count 50 --interval 200 --format ndjson | jq -c '{hop, hop_address, loss_percent, rtt_median_ms, hop_note}'",
        'qosprobe trace ::1 --protocol udp',
        'qosprobe trace 10.77.83.2 -f csv | mlr --icsv --opprint cut -f hop,hop_address,loss_percent,rtt_median_ms,hop_note',
      ],
      flags: [
        { flags: '--protocol <name>', description: 'probe protocol (default icmp; tcp needs mtr, or root with traceroute)', key: 'protocol', value: ['icmp', 'udp', 'tcp'] },
        { flags: '--port <port>', description: 'destination port of udp/tcp probes', key: 'port', value: 'port' },
        { flags: '--max-hops <n>', description: 'highest TTL to probe (default 30)', key: 'max_hops', value: 'positiveInt' },
        {
          flags: '--tool <name>',
          description: 'tracing tool (default auto: mtr, else traceroute; tracert on Windows)',
          key: 'tool',
          value: ['auto', 'mtr', 'traceroute', 'tracert'],
        },
        SIZE("probe packet size in bytes (default: the tool's)"),
      ],
      family: true,
    },
  },
} as const satisfies Record<string, ProbeInfo>;

export type ProbeKind = keyof typeof PROBE_INFO;
export const PROBE_KINDS = Object.keys(PROBE_INFO) as ProbeKind[];

/** The kinds with their summaries, one per line, for --help: `  icmp      ICMP echo ... (qosprobe ping)`. */
export function probeKindsHelp(): string {
  const width = Math.max(...PROBE_KINDS.map((k) => k.length)) + 2;
  return PROBE_KINDS.map((k) => {
    const { summary, command } = PROBE_INFO[k] as ProbeInfo;
    return `  ${k.padEnd(width)}${summary}${command.name === k ? '' : ` (command: ${command.name})`}`;
  }).join('\n');
}
