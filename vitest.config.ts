import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Pin the environment so results don't depend on the machine running them. Everything a run makes on disk goes
// under one directory of its own (HOME, TMPDIR), removed by test/global-setup.ts after it has checked that the tests
// left nothing there, nor a mount, namespace or process (issue 21). Set once per run: this file may load twice.
process.env.QOSPROBE_TEST_RUN ||= mkdtempSync(join(tmpdir(), 'qosprobe-test-run-'));
const run = process.env.QOSPROBE_TEST_RUN;
const home = join(run, 'home');
const tmp = join(run, 'tmp');
mkdirSync(home, { recursive: true });
mkdirSync(tmp, { recursive: true });

/**
 * The groups are the folders (docs/architecture.md, "Tests"):
 * - test/unit, test/integration, test/e2e: results that do not depend on how fast this machine is; six files
 *   at a time with the netns files (on 2 CPUs most of them wait on daemons, timers and deadlines of seconds): an idle
 *   suite in about 275 s, against 320-330 s at four. The netns files' timing bars skip, saying why, when this load
 *   reads busy; their delayers run at real-time priority, so a load that does not read busy does not move their truth;
 * - test/lab: root, namespaces and timing bars against the wire: one file at a time, last, so no other test's
 *   load shares the CPUs with them; each measures how busy the host is and skips a bar it cannot hold, saying why;
 * - test/netns: root and namespaces, tests that mostly wait (seconds-long cuts, daemons): with the first group.
 */
/** The namespace files start first in their group: they wait longest (monitor-e2e about 150 s), so the group does not end on one of them. */
class NetnsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const netns = (f: TestSpecification) => (f.moduleId.includes('/test/netns/') ? 0 : 1);
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => netns(a.f) - netns(b.f) || a.i - b.i).map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'parallel', include: ['test/{unit,integration,e2e}/**/*.test.ts'], maxWorkers: 6, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'lab', include: ['test/lab/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
      // Namespace tests that mostly wait (cuts of seconds, daemons, alert rules) run with the first group (vitest wants one
      // worker count per group): their timing bars are coarse, or skip when the host is busy (caseLoad).
      { extends: true, test: { name: 'netns', include: ['test/netns/**/*.test.ts'], maxWorkers: 6, sequence: { groupOrder: 0 } } },
    ],
    globalSetup: ['test/global-setup.ts'],
    sequence: { sequencer: NetnsFirst },
    // Hang guards, not bars: no test waits on a clock (docs/architecture.md, "Tests"), so these only end a test that hangs.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      TMPDIR: tmp,
      QOSPROBE_TEST_RUN: run,
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
      // Helpers run under `node --import tsx`, which would leave its compile cache (tsx-<uid>) in the run's TMPDIR.
      TSX_DISABLE_CACHE: '1',
    },
  },
});
