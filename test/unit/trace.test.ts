import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigReader } from '../../src/core/config-reader.js';
import { validateConfig } from '../../src/config/validate.js';
import { QosError } from '../../src/core/errors.js';
import type { TraceOptions, TraceRun } from '../../src/net/trace-run.js';
import { traceCommand } from '../../src/net/trace-run.js';
import { makeTraceProbe, type TraceSpec } from '../../src/probes/trace.js';
import { traceVerdict } from '../../src/run/trace-verdict.js';
import type { ProbeDef } from '../../src/probes/probe.js';
import type { BaseSpec, PacketSample } from '../../src/core/samples.js';
import type { ResultRecord } from '../../src/core/schema.js';
import { runPlan } from '../../src/run/runner.js';
import { localise, type HopFigures } from '../../src/stats/path.js';
import { ctx } from '../helpers/records.js';
import { fakeProbe, packetOutcome } from '../helpers/fakes.js';

const fx = (name: string) => readFileSync(join(import.meta.dirname, '../..', 'fixtures', 'trace', name), 'utf8');

/** The trace probe over recorded tool output: the whole path probe → records, without a network. */
async function traceRecords(tool: TraceRun['tool'], outputs: string[], o: { count?: number; host?: string; stoppedBy?: TraceRun['stoppedBy'] } = {}) {
  const seen: TraceOptions[] = [];
  const probe = makeTraceProbe(async (opts) => {
    seen.push(opts);
    return { tool, outputs, stderr: '', stoppedBy: o.stoppedBy ?? null, intervalMs: opts.intervalMs, durationMs: 1, command: [tool] };
  });
  const base: BaseSpec = { kind: 'trace', count: o.count ?? 5, intervalMs: 100, timeoutMs: 2000 };
  const spec = probe.parse({}, base, new ConfigReader('test'), 'test');
  const records: ResultRecord[] = [];
  await runPlan([{ endpoint: { name: 'lab', host: o.host ?? '10.77.83.2' }, spec, probe: probe as never }], ctx, { onRecord: (r) => records.push(r) });
  return { records, trace: records[0]!, hops: records.slice(1), seen };
}

const col = (rs: ResultRecord[], k: keyof ResultRecord) => rs.map((r) => r[k]);

describe('trace records from recorded tool output', () => {
  it('clean path: one trace record (the target), then one row per hop; the hop past the target is dropped', async () => {
    const { trace, hops } = await traceRecords('mtr', [fx('mtr-raw-lab-clean.txt')]);
    expect(trace).toMatchObject({ test: 'trace', status: 'ok', hop: null, trace_hops: 4, sent: 5, received: 5, loss_percent: 0, trace_loss_hop: null, trace_tool: 'mtr', trace_protocol: 'icmp', target_ip: '10.77.83.2' });
    expect(col(hops, 'hop')).toEqual([1, 2, 3, 4]);
    expect(col(hops, 'hop_address')).toEqual(['10.77.80.1', '10.77.81.2', '10.77.82.2', '10.77.83.2']);
    expect(col(hops, 'status')).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(hops.every((h) => h.run_id === trace.run_id && h.endpoint === 'lab' && h.trace_hops === null)).toBe(true);
    // The trace record carries the target's figures: the same as the last hop row.
    expect(trace.rtt_median_ms).toBe(hops[3]!.rtt_median_ms);
  });

  it('loss from hop 2 on: trace_loss_hop 2, per-hop loss as counted (7, 5, 9 of 50), no hop blamed for rate limiting', async () => {
    const { trace, hops } = await traceRecords('mtr', [fx('mtr-raw-lab-loss-at-hop2.txt')], { count: 50 });
    expect(trace.trace_loss_hop).toBe(2);
    expect(col(hops, 'loss_percent')).toEqual([0, 14, 10, 18]); // 7/50, 5/50, 9/50
    expect(trace.loss_percent).toBe(18);
    expect(col(hops, 'hop_note')).toEqual([null, null, null, null]);
  });

  it('ICMP rate limit on r1: hop 1 flagged icmp_rate_limit_suspected, not path loss', async () => {
    const { trace, hops } = await traceRecords('mtr', [fx('mtr-raw-lab-ratelimit-hop1.txt')], { count: 30 });
    expect(hops[0]!.loss_percent).toBeGreaterThan(80); // 26 of 30 answers dropped by the limit
    expect(col(hops, 'hop_note')).toEqual(['icmp_rate_limit_suspected', null, null, null]);
    expect(trace.trace_loss_hop).toBeNull();
    expect(trace.loss_percent).toBe(0);
  });

  it('a router that never answers: no_reply, status ok, loss 100, and no verdict against it', async () => {
    const { trace, hops } = await traceRecords('mtr', [fx('mtr-raw-lab-silent-hop2.txt')]);
    expect(hops[1]).toMatchObject({ hop: 2, hop_address: null, hop_note: 'no_reply', status: 'ok', sent: 5, received: 0, loss_percent: 100, rtt_median_ms: null });
    expect(trace.trace_loss_hop).toBeNull();
  });

  it('target unreachable (traceroute !H): the trace record is an error HOST_UNREACHABLE naming the hop; loss begins at hop 3', async () => {
    const { trace, hops } = await traceRecords('traceroute', [fx('traceroute-lab-host-unreachable.txt')], { host: '10.77.90.9', count: 3 });
    expect(trace).toMatchObject({ status: 'error', error_code: 'HOST_UNREACHABLE', trace_hops: null, received: 0, sent: 3 });
    expect(trace.error_message).toMatch(/hop 3 \(10\.77\.82\.2\) reported host_unreachable/);
    expect(col(hops, 'hop_note')).toEqual([null, null, 'host_unreachable']);
    // r3 answers 2 of 3 (with !H); nothing beyond: loss begins at hop 3 (its third probe lost) at the latest.
    expect(trace.trace_loss_hop).toBe(3);
  });

  it('target unreachable (mtr, which prints no flags): the repeated last address is marked unreachable; silent hop after it kept', async () => {
    const { trace, hops } = await traceRecords('mtr', [fx('mtr-raw-lab-unreachable.txt')], { host: '10.77.90.9' });
    expect(trace.status).toBe('error');
    expect(col(hops, 'hop')).toEqual([1, 2, 3, 4, 5]);
    expect(hops[3]).toMatchObject({ hop_address: '10.77.82.2', hop_note: 'unreachable' });
    expect(hops[4]).toMatchObject({ hop_note: 'no_reply', received: 0 });
  });

  it('tracert, several runs merged (3 probes per hop and run): 6 probes per hop; Indonesian timeouts', async () => {
    const { trace, hops } = await traceRecords('tracert', [fx('tracert-id-timeout.txt'), fx('tracert-en-timeout-loss.txt')], { count: 6 });
    expect(col(hops, 'sent')).toEqual([6, 6, 6, 6]);
    expect(col(hops, 'received')).toEqual([6, 6, 0, 5]);
    expect(hops[2]!.hop_note).toBe('no_reply');
    expect(trace).toMatchObject({ trace_tool: 'tracert', rtt_resolution_ms: 1, received: 5, trace_loss_hop: 4 });
  });

  it('unreadable output: TRACE_UNPARSEABLE, no hop rows', async () => {
    const { records, trace } = await traceRecords('mtr', ['mtr: something else\n']);
    expect(records).toHaveLength(1);
    expect(trace).toMatchObject({ status: 'error', error_code: 'TRACE_UNPARSEABLE' });
  });

  it('a tool that cannot run: its error code on the trace record', async () => {
    const probe = makeTraceProbe(() => Promise.reject(new QosError('TRACE_UNAVAILABLE', 'no path-tracing tool found')));
    const spec = probe.parse({}, { kind: 'trace', count: 1, intervalMs: 100, timeoutMs: 1000 }, new ConfigReader('t'), 't');
    const out = await probe.run({ name: 'x', host: '10.77.83.2' }, spec, { signal: new AbortController().signal });
    expect(out.error).toEqual({ code: 'TRACE_UNAVAILABLE', message: 'no path-tracing tool found' });
  });

  it('stopped by the deadline: trace and hop rows partial with what was measured', async () => {
    const cut = fx('mtr-raw-lab-clean.txt').split('\n').slice(0, 12).join('\n'); // first round, hops 1-3 only
    const { trace, hops } = await traceRecords('mtr', [cut], { stoppedBy: 'deadline', count: 5 });
    expect(trace).toMatchObject({ status: 'error', error_code: 'DEADLINE' }); // the target never answered before the cut
    expect(col(hops, 'hop')).toEqual([1, 2, 3]);
    expect(col(hops, 'status')).toEqual(['partial', 'partial', 'partial']);
    expect(col(hops, 'error_code')).toEqual(['DEADLINE', 'DEADLINE', 'DEADLINE']);
  });
});

describe('config', () => {
  const parse = (raw: Record<string, unknown>) =>
    makeTraceProbe().parse(raw, { kind: 'trace', count: 10, intervalMs: 1000, timeoutMs: 2000 }, new ConfigReader('f.yaml'), 'endpoints[0].tests[0]');

  it('a config file entry: the kind\'s own defaults (10 rounds, 1 s) under the file\'s, the entry over both; unknown fields refused', () => {
    const c = validateConfig({ endpoints: [{ host: '10.77.83.2', tests: ['trace', { kind: 'trace', protocol: 'udp', port: 33434, max_hops: 5, count: 3 }] }] }, 'f.yaml');
    expect(c.endpoints[0]!.tests[0]).toMatchObject({ kind: 'trace', count: 10, intervalMs: 1000, protocol: 'icmp', maxHops: 30 });
    expect(c.endpoints[0]!.tests[1]).toMatchObject({ kind: 'trace', count: 3, protocol: 'udp', port: 33434, maxHops: 5 });
    expect(() => validateConfig({ endpoints: [{ host: 'h', tests: [{ kind: 'trace', hops: 5 }] }] }, 'f.yaml')).toThrow(/hops/);
  });

  it('defaults: icmp, auto tool, 30 hops', () => {
    expect(parse({})).toMatchObject<Partial<TraceSpec>>({ protocol: 'icmp', tool: 'auto', maxHops: 30, family: undefined });
  });

  it.each([
    [{ protocol: 'sctp' }, /endpoints\[0\]\.tests\[0\]\.protocol: expected icmp \| udp \| tcp/],
    [{ tool: 'winmtr' }, /tool: expected auto \| mtr \| traceroute \| tracert/],
    [{ max_hops: 0 }, /max_hops/],
    [{ port: 70000 }, /port/],
    [{ family: 5 }, /family: expected 4 or 6/],
  ])('rejects %o', (raw, msg) => {
    expect(() => parse(raw)).toThrow(msg);
  });
});

describe('tool command lines', () => {
  const o: TraceOptions = { address: '10.77.83.2', family: 4, protocol: 'icmp', count: 10, intervalMs: 200, timeoutMs: 2000, maxHops: 30, tool: 'auto' };
  it.each([
    ['mtr', 'linux', {}, ['--raw', '-n', '-4', '-c', '10', '-i', '0.2', '-G', '2', '-m', '30', '10.77.83.2']],
    ['mtr', 'linux', { protocol: 'tcp', port: 443, family: 6, address: '::1' }, ['--raw', '-n', '-6', '-T', '-P', '443', '-c', '10', '-i', '0.2', '-G', '2', '-m', '30', '::1']],
    ['traceroute', 'linux', { protocol: 'udp' }, ['-n', '-4', '-N', '1', '-z', '0.1', '-w', '2', '-q', '10', '-m', '30', '10.77.83.2']],
    ['traceroute', 'linux', {}, ['-n', '-4', '-I', '-N', '1', '-z', '0.1', '-w', '2', '-q', '10', '-m', '30', '10.77.83.2']],
    ['tracert', 'win32', {}, ['-d', '-4', '-h', '30', '-w', '2000', '10.77.83.2']],
  ] as const)('%s on %s %o', (tool, platform, extra, args) => {
    expect(traceCommand({ ...o, ...extra }, tool, platform, 200).args).toEqual(args);
  });
});

describe('localise (where loss and delay begin)', () => {
  const h = (hop: number, sent: number, received: number, medianMs: number | null = 1): HopFigures => ({ hop, sent, received, medianMs });

  it.each<[string, HopFigures[], boolean, ReturnType<typeof localise>]>([
    ['clean', [h(1, 10, 10), h(2, 10, 10), h(3, 10, 10)], true, { lossHop: null, delayHop: null, rateLimited: [] }],
    // persistent loss from hop 2: floors 0, .2, .2
    ['loss from hop 2', [h(1, 50, 50), h(2, 50, 40), h(3, 50, 41), h(4, 50, 40)], true, { lossHop: 2, delayHop: null, rateLimited: [] }],
    // noise between hops: hop 2 loses 14 of 50, later hops pooled (5 + 9) / 100 = 14%: no excess
    ['noisy persistent loss', [h(1, 50, 50), h(2, 50, 36), h(3, 50, 45), h(4, 50, 41)], true, { lossHop: 2, delayHop: null, rateLimited: [] }],
    // hop 1 loses 8 of 10, nothing after: 8 ≥ max(2, 0) excess → rate limited
    ['lossy hop, clean after', [h(1, 10, 2), h(2, 10, 10), h(3, 10, 10)], true, { lossHop: null, delayHop: null, rateLimited: [1] }],
    // one lost probe more than the floor is noise (excess 1 < 2)
    ['one probe is noise', [h(1, 10, 9), h(2, 10, 10)], true, { lossHop: null, delayHop: null, rateLimited: [] }],
    // hop 2 silent (router never answers): ignored; no loss anywhere else
    ['silent router', [h(1, 5, 5), h(2, 5, 0, null), h(3, 5, 5)], true, { lossHop: null, delayHop: null, rateLimited: [] }],
    // target not reached: loss begins past the last answering hop
    ['not reached', [h(1, 5, 5), h(2, 5, 5), h(3, 5, 0, null)], false, { lossHop: 3, delayHop: null, rateLimited: [] }],
    // medians 1, 2, 40, 41: floors 1, 2, 40, 41; step at hop 3 = 38 ≥ max(10, 0.25 × 41)
    ['delay from hop 3', [h(1, 5, 5, 1), h(2, 5, 5, 2), h(3, 5, 5, 40), h(4, 5, 5, 41)], true, { lossHop: null, delayHop: 3, rateLimited: [] }],
    // a router slow to answer itself (hop 2: 80 ms), later hops fast: no delay verdict
    ['slow-answering router', [h(1, 5, 5, 1), h(2, 5, 5, 80), h(3, 5, 5, 3)], true, { lossHop: null, delayHop: null, rateLimited: [] }],
    // 10 hops of 5 ms each: no step reaches max(10, 12.5)
    ['gradual delay', Array.from({ length: 10 }, (_, i) => h(i + 1, 5, 5, 5 * (i + 1))), true, { lossHop: null, delayHop: null, rateLimited: [] }],
  ])('%s', (_name, hops, reached, verdict) => {
    expect(localise(hops, reached)).toEqual(verdict);
  });
});

describe('fault localisation (--trace-on-failure)', () => {
  const fake = (outputs: string[]) =>
    makeTraceProbe(async (opts) => ({ tool: 'mtr', outputs, stderr: '', stoppedBy: null, intervalMs: opts.intervalMs, durationMs: 1, command: ['mtr'] }));

  it('traceVerdict: the trace\'s verdict only, for the failed test\'s record', async () => {
    const v = await traceVerdict('10.77.83.2', 50, new AbortController().signal, fake([fx('mtr-raw-lab-loss-at-hop2.txt')]));
    expect(v).toEqual({ trace_loss_hop: 2, trace_delay_hop: null, trace_hops: 4, trace_tool: 'mtr', trace_protocol: 'icmp' });
  });

  it('traceVerdict after a test over a link traces over that link (issue 22), not the default route', async () => {
    let asked: unknown;
    const spy = makeTraceProbe(async (opts) => {
      asked = opts.bind;
      return { tool: 'traceroute', outputs: [''], stderr: '', stoppedBy: null, intervalMs: opts.intervalMs, durationMs: 1, command: ['traceroute'] };
    });
    await traceVerdict('10.77.83.2', 2, new AbortController().signal, spy, { device: 'wwan1' });
    expect(asked).toEqual({ device: 'wwan1' });
  });

  it('traceVerdict: no tool, no fields', async () => {
    const none = makeTraceProbe(() => Promise.reject(new QosError('TRACE_UNAVAILABLE', 'none')));
    expect(await traceVerdict('10.77.83.2', 5, new AbortController().signal, none)).toEqual({});
  });

  it('the runner asks only after a test that failed or lost packets, never after a trace, and merges the fields', async () => {
    const probe = (packets: PacketSample[], kind = 'fake'): ProbeDef<BaseSpec> =>
      fakeProbe(async () => packetOutcome(packets), { kind, deadlineMs: 5000 });
    const ok = [{ seq: 0, sentAtMs: 0, rttMs: 1 }];
    const lossy = [...ok, { seq: 1, sentAtMs: 100, rttMs: null }];
    const asked: string[] = [];
    const plan = [
      ['clean', probe(ok)],
      ['lossy', probe(lossy)],
      ['dead', probe([{ seq: 0, sentAtMs: 0, rttMs: null }])],
      ['tr', probe(lossy, 'trace')],
    ].map(([name, p]) => ({ endpoint: { name: name as string, host: `${name as string}.lab` }, spec: { kind: (p as ProbeDef<BaseSpec>).kind, count: 1, intervalMs: 100, timeoutMs: 100 }, probe: p as ProbeDef<BaseSpec> }));
    const res = await runPlan(plan, ctx, {
      onRecord: () => {},
      onFailure: async (t) => {
        asked.push(t.endpoint.host);
        return { trace_loss_hop: 3 };
      },
    });
    expect(asked).toEqual(['lossy.lab', 'dead.lab']);
    expect(res.records.map((r) => r.trace_loss_hop)).toEqual([null, 3, 3, null]);
  });
});
