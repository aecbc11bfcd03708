import type { ConfigReader, Obj } from '../core/config-reader.js';
import type { BaseSpec, Endpoint, ProbeContext, ProbeOutcome } from '../core/samples.js';
import type { AttemptSamples } from './failures.js';
import type { PacketSession, SessionOptions, SessionTarget } from './session.js';

/**
 * What every probe kind's implementation provides. The registry (probes/index.ts) maps kind → ProbeDef, so config
 * validation and the runner can't drift apart; its summary and ad hoc command are in probes/kinds.ts (cheap, for --help).
 */
export interface ProbeDef<S extends BaseSpec = BaseSpec> {
  readonly kind: string;
  /**
   * What the attempts of its samples are, for the failure rule (failures.ts): a test that could make none gets empty
   * samples of this type (sent = 0). Unset for probes that count otherwise (transfers count bytes; trace, hops).
   */
  readonly attempts?: AttemptSamples;
  /** Config keys this kind accepts beyond kind, count, interval_ms and timeout_ms (not the record columns of ProbeOutcome.fields). */
  readonly configKeys: readonly string[];
  /** Defaults that differ from the config's `defaults` block for this kind (e.g. a longer STAMP timeout). */
  readonly defaults?: Partial<Pick<BaseSpec, 'count' | 'intervalMs' | 'timeoutMs'>>;
  /** Validate the kind-specific fields of one config entry (path-aware errors through `r`). */
  parse(raw: Obj, base: BaseSpec, r: ConfigReader, path: string): S;
  /** An upper bound of how long the test may take; the runner aborts it after this (plus a grace period). */
  deadlineMs(spec: S): number;
  /** A label for the target ("host:port", a URL) before it runs, for progress messages. */
  targetOf(endpoint: Endpoint, spec: S): string;
  run(endpoint: Endpoint, spec: S, ctx: ProbeContext): Promise<ProbeOutcome>;
  /**
   * A packet kind's measuring session (session.ts), which its `run` drives for `count` packets and `monitor` drives
   * without end (continuous.ts): the kinds a monitor can watch have one.
   */
  openSession?(target: SessionTarget, spec: S, o: SessionOptions): Promise<PacketSession>;
}
