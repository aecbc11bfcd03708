import { defineConfig } from 'vitest/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Pin the environment so results don't depend on the machine running them.
const home = mkdtempSync(join(tmpdir(), 'qosprobe-test-home-'));

/**
 * Three groups, one after the other:
 * - most files, two at a time;
 * - WAITING: end-to-end files that mostly wait on real daemons, timers and deadlines of seconds (receivers, a monitor
 *   against a cut link, unreachable networks): three at a time, since they leave the CPUs idle and their bounds are
 *   in seconds;
 * - TIMING: files whose assertions depend on time on this machine at a finer grain (accuracy against the wire,
 *   rate-limited links, signals at a moment, counts of packets in a window): one at a time, last, so no other
 *   test's load shares the 2 CPUs with them.
 */
const WAITING = [
  'test/cli.e2e.test.ts',
  'test/unattended.e2e.test.ts',
  'test/push-faults.test.ts',
  'test/push-receivers.test.ts',
  'test/network-failures.test.ts',
  'test/monitor-e2e.test.ts',
  'test/trace-lab.test.ts',
];
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
  'test/trace-loopback.test.ts',
  'test/serve-stamp-abuse.test.ts',
  'test/serve-slots.test.ts',
  'test/serve-memory.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: [...WAITING, ...TIMING], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'waiting', include: WAITING, maxWorkers: 3, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
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
