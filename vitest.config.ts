import { defineConfig } from 'vitest/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Pin the environment so results don't depend on the machine running them.
const home = mkdtempSync(join(tmpdir(), 'qosprobe-test-home-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time: accuracy tests (rate-limited links, injected delays) must not share
    // a 2-core CI machine with other tests' load. The whole suite still takes about 2 minutes.
    fileParallelism: false,
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
