/**
 * Typed test doubles shared by the test files: each is typed against the real interface, so a change to
 * that interface breaks the build of the tests (`npm test` type-checks test/) instead of leaving a stale copy.
 */
import type { ProbeDef } from '../../src/probes/probe.js';
import type { BaseSpec, PacketSample, ProbeContext, ProbeOutcome, Samples } from '../../src/core/samples.js';

/** The spec every fake probe runs with: one attempt, 100 ms interval and timeout. */
export const fakeSpec: BaseSpec = { kind: 'fake', count: 1, intervalMs: 100, timeoutMs: 100 };

/** A probe whose `run` is given; the runner (deadlines, ordering, what it measures alongside) is what is under test. */
export function fakeProbe(
  run: (ctx: ProbeContext) => Promise<ProbeOutcome>,
  opts: { kind?: string; deadlineMs?: number } = {},
): ProbeDef<BaseSpec> {
  const deadlineMs = opts.deadlineMs ?? 1000;
  return {
    kind: opts.kind ?? 'fake',
    configKeys: [],
    parse: (_raw, base) => base,
    deadlineMs: () => deadlineMs,
    targetOf: (e) => e.host,
    run: (_e, _s, ctx) => run(ctx),
  };
}

/** An outcome of the given packets (one good packet when none are given). */
export function packetOutcome(packets: PacketSample[] = [{ seq: 0, sentAtMs: 0, rttMs: 1 }], extra: Partial<ProbeOutcome> = {}): ProbeOutcome {
  return { target: 't', samples: { type: 'packets', intervalMs: 100, packets }, ...extra };
}

/** The packet samples of an outcome; throws (failing the test) when the probe returned none or another type. */
export function packetsOf(samples: Samples | undefined): Extract<Samples, { type: 'packets' }> {
  if (samples?.type !== 'packets') throw new Error(`expected packet samples, got ${samples ? samples.type : 'none'}`);
  return samples;
}
