/**
 * The plan over a site's links (issue 22): endpoints × tests, once over each link. Pure.
 * - No links: each test as configured (over its own `interface:` when it has one, else the default route).
 * - Links from the config's `interfaces:`: a test with its own `interface:` (or its endpoint's) runs once, over that one;
 *   every other test runs over each link in turn.
 * - Links from `--interface` (override): every test runs over each of them, whatever its own `interface:` said.
 * Link after link, never in parallel: tests on two links at once would share the CPU and the far end's capacity.
 */
import type { EndpointConfig } from '../config/types.js';
import { probeFor } from '../probes/index.js';
import type { PlannedTest } from './runner.js';

export function planOverLinks(endpoints: readonly EndpointConfig[], links: readonly string[] | null, override = false): PlannedTest[] {
  const one = (e: EndpointConfig, spec: PlannedTest['spec']): PlannedTest => ({ endpoint: { name: e.name, host: e.host }, spec, probe: probeFor(spec.kind)! });
  if (!links || links.length === 0) return endpoints.flatMap((e) => e.tests.map((spec) => one(e, spec)));
  return links.flatMap((device, i) =>
    endpoints.flatMap((e) =>
      e.tests.flatMap((spec) => {
        if (spec.bind && !override) return i === 0 ? [one(e, spec)] : [];
        return [one(e, { ...spec, bind: { device } })];
      }),
    ),
  );
}
