/**
 * The probe registry, keyed by kind: the implementations that config validation and the runner read. Each kind's
 * summary and ad hoc command are in kinds.ts (cheap, for --help); `satisfies` makes this hold exactly those kinds.
 * Probe modules import heavy libraries (undici, ping) inside run(), so loading the registry stays cheap.
 */
import { settleOutcome } from './failures.js';
import type { ProbeDef } from './probe.js';
import type { ProbeKind } from './kinds.js';
import type { BaseSpec } from '../core/samples.js';
import { icmp } from './icmp.js';
import { tcp } from './tcp.js';
import { http } from './http.js';
import { dns } from './dns.js';
import { download } from './download.js';
import { upload } from './upload.js';
import { stamp } from './stamp.js';
import { trace } from './trace.js';

export const probes = {
  icmp,
  tcp,
  http,
  dns,
  download,
  upload,
  stamp,
  trace,
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own spec type
} satisfies Record<ProbeKind, ProbeDef<any>>;

export { PROBE_KINDS, type ProbeKind } from './kinds.js';

/** The probe of a kind, its outcomes counted by the one failure rule (failures.ts) whatever the probe. */
export function probeFor(kind: string): ProbeDef<BaseSpec> | undefined {
  if (!Object.hasOwn(probes, kind)) return undefined;
  const def = probes[kind as ProbeKind] as unknown as ProbeDef<BaseSpec>;
  return { ...def, run: async (e, s, ctx) => settleOutcome(def.attempts ?? null, await def.run(e, s, ctx)) };
}
