import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

// Pin the environment so results don't depend on the machine running them.
const home = mkdtempSync(join(tmpdir(), 'qosprobe-test-home-'));

/**
 * Two groups, one after the other:
 * - everything but TIMING, four files at a time (on 2 CPUs: most of these wait): unit files, and end-to-end files that mostly wait on real daemons,
 *   timers and deadlines of seconds (receivers, a monitor against a cut link, unreachable networks: WAITING), whose
 *   bounds are in seconds and which leave the CPUs idle most of the time;
 * - TIMING: files whose assertions depend on time on this machine at a finer grain (accuracy against the wire,
 *   rate-limited links, signals at a moment, counts of packets in a window): one at a time, last, so no other
 *   test's load shares the 2 CPUs with them.
 */
const WAITING = [
  'test/monitor-e2e.test.ts',
  'test/cli.e2e.test.ts',
  'test/push-receivers.test.ts',
  'test/network-failures.test.ts',
  'test/trace-lab.test.ts',
  'test/push-faults.test.ts',
  'test/unattended.e2e.test.ts',
];

/** The long waiting files start first (in WAITING's order, longest first), so the group does not end on one of them. */
class WaitingFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = WAITING.indexOf(relative(import.meta.dirname, f.moduleId));
      return i < 0 ? WAITING.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
  }
}
const TIMING = [
  'test/accuracy-*.test.ts',
  'test/throughput.test.ts',
  'test/throughput-netns.test.ts',
  'test/stamp.test.ts',
  'test/tcp.test.ts',
  'test/icmp.test.ts',
  'test/dns-probe.test.ts',
  'test/http-probe.test.ts',
  'test/http-client.test.ts',
  'test/runner.test.ts',
  'test/locations.test.ts',
  'test/startup.test.ts',
  'test/cli-signals.e2e.test.ts',
  'test/serve-stamp-abuse.test.ts',
  'test/serve-slots.test.ts',
  'test/serve-memory.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'parallel', include: [...WAITING, 'test/**/*.test.ts'], exclude: TIMING, maxWorkers: 4, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
    sequence: { sequencer: WaitingFirst },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: {
      LC_ALL: 'C',
      TZ: 'UTC',
      NO_COLOR: '1',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_STATE_HOME: join(home, '.local/state'),
      QOSPROBE_CONFIG: '',
      QOSPROBE_LOCATION: '',
      // Traffic only to loopback and the tests' own namespaces: never ping this machine's real gateway.
      QOSPROBE_GATEWAY_PING: '0',
    },
  },
});
