/**
 * The result record, schema v1: one flat record per (endpoint, test).
 *
 * This list is the single source of the CSV column order, the JSON field names and
 * docs/schema.md (a test checks the doc lists every field). Columns that a probe
 * does not fill are `null` (an empty CSV cell), never 0, NaN or -1.
 *
 * v1 reserves the columns of every planned probe (STAMP, HTTP, throughput, host
 * context) so that adding a probe never changes the CSV header: a field laptop can
 * keep appending to last month's file after an upgrade.
 */

export const SCHEMA_VERSION = 1;

export type FieldType = 'integer' | 'number' | 'string' | 'timestamp';

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  /** Unit, or '' when dimensionless/textual. */
  readonly unit: string;
  readonly doc: string;
}

const f = <N extends string, T extends FieldType>(name: N, type: T, unit: string, doc: string) => ({ name, type, unit, doc }) as const;

export const FIELDS = [
  // identity and context
  f('schema_version', 'integer', '', 'Record schema version; 1 for this layout.'),
  f('run_id', 'string', '', 'Unique id of the run that produced the record (shared by all records of one run).'),
  f('started_at', 'timestamp', 'ISO 8601 UTC', 'Wall-clock time the test started, e.g. 2026-11-24T08:00:00.000Z.'),
  f('duration_ms', 'number', 'ms', 'How long the test took, from the monotonic clock.'),
  f('probe_id', 'string', '', 'Id of the probe (config probe.id, default the hostname).'),
  f('location_code', 'string', '', 'Kemendagri region code of the probe location, e.g. 32.73 or 32.73.01.1001.'),
  f('location_name', 'string', '', 'Full path of region names, e.g. "Jawa Barat / Kota Bandung"; null when unchecked.'),
  f('site', 'string', '', 'Free text site label (polling station, tower, office).'),
  f('lat', 'number', 'degrees', 'Latitude of the site (WGS 84), when configured.'),
  f('lon', 'number', 'degrees', 'Longitude of the site (WGS 84), when configured.'),
  f('endpoint', 'string', '', 'Endpoint name from the config (or the target for ad hoc commands).'),
  f('target', 'string', '', 'What was measured: host, host:port or URL.'),
  f('test', 'string', '', 'Test kind: icmp, tcp, stamp, http, dns, download, upload, trace.'),
  f('status', 'string', '', 'ok: the test ran to completion (whatever its metrics say); partial: cut short by a deadline or an interrupt, with what was measured; error: no usable measurement.'),
  f('error_code', 'string', '', 'Stable error code (see docs/schema.md#error-codes) when status is error, or the cause of partial/lost attempts.'),
  f('error_message', 'string', '', 'Human-readable detail of error_code; on an ok record, why a metric that could have been a number is null (e.g. implausible reflector timestamps).'),
  // packets
  f('sent', 'integer', 'packets', 'Packets or attempts sent.'),
  f('received', 'integer', 'packets', 'Packets or attempts answered within the loss threshold (first copies only).'),
  f('loss_percent', 'number', '%', '100 × (sent − received) / sent.'),
  // delay
  f('rtt_min_ms', 'number', 'ms', 'Minimum round-trip time over received packets.'),
  f('rtt_mean_ms', 'number', 'ms', 'Arithmetic mean RTT.'),
  f('rtt_median_ms', 'number', 'ms', 'Median RTT (type 7 quantile, p = 0.5).'),
  f('rtt_p95_ms', 'number', 'ms', '95th percentile RTT (type 7 quantile).'),
  f('rtt_max_ms', 'number', 'ms', 'Maximum RTT.'),
  f('rtt_stddev_ms', 'number', 'ms', 'Sample standard deviation of RTT (n − 1); null with fewer than 2 samples.'),
  // jitter
  f('jitter_ms', 'number', 'ms', 'IPDV: mean |RTT(i+1) − RTT(i)| over consecutively sent packets both received; null with no such pair.'),
  f('jitter_rfc3550_ms', 'number', 'ms', 'RFC 3550 interarrival jitter estimator over received packets in arrival order, seeded with the first |D|.'),
  f('pdv_ms', 'number', 'ms', 'Packet delay variation (RFC 5481): RTT p99 − RTT min; null with fewer than 2 samples.'),
  f('tool_version', 'string', '', 'qosprobe version that produced the record.'),
  // test parameters (so a record can be read without its config)
  f('interval_ms', 'number', 'ms', 'Configured send interval between packets/attempts.'),
  f('timeout_ms', 'number', 'ms', 'Loss threshold / per-attempt timeout.'),
  f('size_bytes', 'integer', 'bytes', 'Packet payload size where the test sets one (icmp, stamp).'),
  f('target_ip', 'string', '', 'The IP address the target resolved to, when known.'),
  f('rtt_resolution_ms', 'number', 'ms', 'Coarsest step of the RTTs the measuring tool reported (icmp: 0.001 for iputils, 1 for Windows ping, whose `<1ms` is kept as 0.5); null when the probe times itself (µs).'),
  // packet detail (STAMP and friends)
  f('late', 'integer', 'packets', 'Packets that came back after the loss threshold (counted as lost).'),
  f('duplicates', 'integer', 'packets', 'Extra copies of an already received packet (never counted as received).'),
  f('reordered', 'integer', 'packets', 'Packets whose sequence number is below the highest already received (RFC 4737).'),
  f('foreign_packets', 'integer', 'packets', 'Datagrams received that were not replies to this test (garbage, wrong size, other sessions): counted and ignored.'),
  f('outage_ms', 'number', 'ms', 'Longest run of consecutive lost packets × interval_ms.'),
  f('loss_up_percent', 'number', '%', 'Loss on the way to the reflector (stateful STAMP reflector only).'),
  f('loss_down_percent', 'number', '%', 'Loss on the way back from the reflector (stateful STAMP reflector only).'),
  f('jitter_up_ms', 'number', 'ms', 'One-way IPDV towards the reflector (STAMP).'),
  f('jitter_down_ms', 'number', 'ms', 'One-way IPDV from the reflector (STAMP).'),
  // HTTP / DNS phases
  f('http_status', 'integer', '', 'HTTP status code of the last response.'),
  f('dns_ms', 'number', 'ms', 'DNS lookup time (cold sample for http; median for dns).'),
  f('connect_ms', 'number', 'ms', 'TCP connect time of the cold sample.'),
  f('tls_ms', 'number', 'ms', 'TLS handshake time of the cold sample; null for plain HTTP.'),
  f('ttfb_ms', 'number', 'ms', 'Time to first byte of the cold sample, from request start.'),
  f('total_ms', 'number', 'ms', 'Total time of the cold sample, including the body.'),
  f('warm_ttfb_ms', 'number', 'ms', 'Median time to first byte over warm (reused connection) samples.'),
  f('warm_total_ms', 'number', 'ms', 'Median total time over warm samples.'),
  // throughput
  f('throughput_bps', 'integer', 'bit/s', 'Steady-state throughput: 8 × bytes after warm-up / time after warm-up.'),
  f('throughput_p10_bps', 'integer', 'bit/s', '10th percentile of per-interval throughput after warm-up.'),
  f('throughput_p50_bps', 'integer', 'bit/s', 'Median per-interval throughput after warm-up.'),
  f('throughput_p90_bps', 'integer', 'bit/s', '90th percentile of per-interval throughput after warm-up.'),
  f('bytes', 'integer', 'bytes', 'Total application payload bytes transferred, warm-up included.'),
  f('streams', 'integer', '', 'Parallel streams (connections) used.'),
  f('measured_ms', 'number', 'ms', 'Time over which throughput_bps was computed (after warm-up).'),
  f('idle_rtt_ms', 'number', 'ms', 'Median RTT measured just before the transfer.'),
  f('loaded_rtt_median_ms', 'number', 'ms', 'Median RTT during the transfer (after warm-up).'),
  f('loaded_rtt_p95_ms', 'number', 'ms', '95th percentile RTT during the transfer.'),
  f('loaded_rtt_increase_ms', 'number', 'ms', 'loaded_rtt_median_ms − idle_rtt_ms (bufferbloat).'),
  f('rpm', 'integer', 'round-trips/min', 'Responsiveness: 60000 / (95% trimmed mean of loaded RTTs in ms).'),
  // host network context
  f('net_iface', 'string', '', 'The network interface the test\'s traffic left through: the one it was bound to (--interface, interface:, interfaces:), else the default route\'s.'),
  f('net_type', 'string', '', 'wired, wireless, cellular or other.'),
  f('net_ip', 'string', '', 'Local IP address of the active interface.'),
  f('gateway', 'string', '', 'Gateway of that interface: a bound test\'s own link\'s default route (the lowest metric on it), else the default gateway.'),
  f('wifi_ssid', 'string', '', 'Wi-Fi network name.'),
  f('wifi_bssid', 'string', '', 'Wi-Fi access point MAC.'),
  f('wifi_signal_dbm', 'number', 'dBm', 'Wi-Fi signal level.'),
  f('wifi_quality', 'number', '%', 'Wi-Fi link quality as the OS reports it.'),
  f('wifi_channel', 'integer', '', 'Wi-Fi channel.'),
  f('cell_operator', 'string', '', 'Cellular operator name (ModemManager).'),
  f('cell_tech', 'string', '', 'Cellular access technology, e.g. lte, 5gnr, umts.'),
  f('cell_rsrp_dbm', 'number', 'dBm', 'LTE/NR reference signal received power.'),
  f('cell_rsrq_db', 'number', 'dB', 'LTE/NR reference signal received quality.'),
  f('cell_sinr_db', 'number', 'dB', 'LTE/NR signal to interference plus noise ratio.'),
  // trace (docs/trace.md): one record for the trace (hop empty), then one per hop
  f('hop', 'integer', '', 'trace: TTL of this hop row (1 = first router); null on the trace\'s own record and on other tests.'),
  f('hop_address', 'string', '', 'trace: the address that answered at this hop (the most frequent one when several did); null when none did.'),
  f('hop_note', 'string', '', 'trace: icmp_rate_limit_suspected (the hop loses more than the hops after it: its own answers are limited, not the path), no_reply, host_unreachable, net_unreachable, protocol_unreachable, prohibited or unreachable.'),
  f('trace_loss_hop', 'integer', '', 'trace record (and, with --trace-on-failure, the record of a test that failed or lost packets): first hop from which every later hop and the target lose probes (where loss begins); null when the path loses nothing.'),
  f('trace_delay_hop', 'integer', '', 'trace record: first hop from which every later hop is slower by at least 10 ms and a quarter of the target\'s median RTT (where delay begins); null when no such step.'),
  f('trace_hops', 'integer', '', 'trace record: hops to the target (its TTL); null when the target was not reached.'),
  f('trace_tool', 'string', '', 'trace: the tool that sent the probes: mtr, traceroute or tracert.'),
  f('trace_protocol', 'string', '', 'trace: probe protocol: icmp, udp or tcp.'),
  // the first hop, measured alongside every test
  f('gateway_rtt_ms', 'number', 'ms', 'Median RTT to the gateway (of the test\'s link, pinged through it) over 5 pings sent while the test ran (the site\'s own link); null when no gateway is known, host info is off (--no-host-info, --no-gateway-ping) or ping could not run.'),
  f('gateway_loss_percent', 'number', '%', 'Loss of those gateway pings (100 when the gateway answered none); null when gateway_rtt_ms could not be measured at all.'),
  // which network and cell the modem is on (ModemManager), next to its radio figures
  f('cell_mcc_mnc', 'string', '', 'Mobile country and network code of the serving network, e.g. 510-10 (ModemManager).'),
  f('cell_band', 'string', '', 'Band of the serving cell, from its channel: B3 (LTE), n1 (NR, only when one band holds the channel; in EN-DC the NR leg); null when unknown.'),
  f('cell_channel', 'integer', '', 'Serving cell channel: EARFCN (LTE), NR-ARFCN (NR) or UARFCN (UMTS).'),
  f('cell_id', 'string', '', 'Serving cell identity, upper-case hex without leading zeros (28-bit E-UTRAN CI, 36-bit NR CI, 16/28-bit UMTS/GSM CI); in EN-DC (5G NSA) the LTE anchor\'s.'),
  f('cell_tac', 'string', '', 'Tracking area code (LTE/NR), upper-case hex without leading zeros.'),
  f('cell_lac', 'string', '', 'Location area code (GSM/UMTS), upper-case hex without leading zeros; null on LTE/NR, where the network sends none.'),
  // clock quality: can this record's timestamps be trusted
  f('clock_synced', 'string', '', 'yes when the system clock was synchronised (NTP: chrony, systemd-timesyncd, w32tm) when the run started, no when not; null when unknown (no tool said).'),
  f('clock_offset_ms', 'number', 'ms', 'Estimated offset of the system clock from its reference, positive when the local clock is ahead; null when unknown.'),
  f('clock_source', 'string', '', 'Where clock_synced and clock_offset_ms come from: chrony, timesyncd, timedatectl, sntp or w32tm, and the reference server when known, e.g. "chrony 10.77.0.1".'),
  // how the RTTs were timed (issue 9: each record says how it was measured)
  f('rtt_timestamping', 'string', '', 'Who timed the RTTs: kernel (the network stack stamped send and reply: iputils/BSD ping, tcp read from the kernel with ss), kernel_rx (stamp on Linux: the kernel stamped each reply\'s arrival, native code each send right before the system call), event_loop (the probe in JavaScript: tcp where the kernel cannot be read, stamp without the native socket, download/upload without ss), mixed (tcp: some of each), tool (another system ping\'s own timing); null with no RTT. See docs/metrics.md "RTT accuracy".'),
  // the host context's own completeness (issue 25): a busy machine must not leave gateway columns silently empty
  f('host_info_incomplete', 'string', '', 'Why the host context (net_*, gateway, wifi_*, cell_*, clock_*) is incomplete: the parts that ran out of time, e.g. "timed out after 3000 ms: wifi, clock"; their columns are null. null when every part answered in time or host info is off (--no-host-info).'),
] as const satisfies readonly FieldDef[];

export type FieldName = (typeof FIELDS)[number]['name'];
export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((d) => d.name);

type Field = (typeof FIELDS)[number];
type ValueOf<T extends FieldType> = T extends 'integer' | 'number' ? number : string;

/** A result record: every field present, `null` where it does not apply or could not be computed. */
export type ResultRecord = { [F in Field as F['name']]: ValueOf<F['type']> | null };

/** Fields a probe may fill (everything but the run/location identity the runner sets). */
export type Metrics = Partial<ResultRecord>;

export function emptyRecord(): ResultRecord {
  return Object.fromEntries(FIELD_NAMES.map((n) => [n, null])) as ResultRecord;
}

/**
 * Numbers as files carry them: integer fields as integers, measured quantities to 1 µs
 * (3 decimals of ms; finer is below what a timer here can resolve), coordinates untouched.
 * A non-finite number is a bug upstream; it becomes null rather than NaN in a file.
 */
export function tidy(r: ResultRecord): ResultRecord {
  const out = r as Record<string, string | number | null>;
  for (const f of FIELDS) {
    const v = out[f.name];
    if (typeof v !== 'number') continue;
    if (!Number.isFinite(v)) out[f.name] = null;
    else if (f.type === 'integer') out[f.name] = Math.round(v);
    else if (f.name !== 'lat' && f.name !== 'lon') out[f.name] = Math.round(v * 1000) / 1000;
  }
  return r;
}
