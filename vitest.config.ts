import { defineConfig } from 'vitest/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Pin the environment so results don't depend on the machine running them.
const home = mkdtempSync(join(tmpdir(), 'qosprobe-test-home-'));

/**
 * The groups are the folders (docs/architecture.md, "Tests"):
 * - test/unit, test/integration, test/e2e: results that do not depend on how fast this machine is; four files
 *   at a time (on 2 CPUs most of them wait on daemons, timers and deadlines of seconds);
 * - test/lab: root, namespaces and timing bars against the wire: one file at a time, last, so no other test's
 *   load shares the CPUs with them; each measures how busy the host is and skips a bar it cannot hold, saying why.
 */
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'parallel', include: ['test/{unit,integration,e2e}/**/*.test.ts'], maxWorkers: 4, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'lab', include: ['test/lab/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
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
