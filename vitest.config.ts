import { defineConfig } from 'vitest/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Pin the environment so results don't depend on the machine running them.
const home = mkdtempSync(join(tmpdir(), 'qosprobe-test-home-'));

/**
 * Files whose assertions depend on time on this machine (accuracy against the wire, rate-limited links, deadlines,
 * signals at a moment, counts of packets in a window): they run one at a time, after everything else, so no other
 * test's load shares the 2 CPUs with them. The rest run two files at a time first.
 */
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
  'test/cli.e2e.test.ts',
  'test/field-ops.e2e.test.ts',
  'test/push-faults.test.ts',
  'test/push-receivers.test.ts',
  'test/network-failures.test.ts',
  'test/monitor-e2e.test.ts',
  'test/trace-lab.test.ts',
  'test/trace-loopback.test.ts',
  'test/serve-stamp-abuse.test.ts',
  'test/serve-slots.test.ts',
  'test/serve-memory.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: TIMING, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
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
