/**
 * Faults around `qosprobe serve` run as its own process (the built CLI): what goes wrong beside it must not
 * end it. Issue 24 item 5: `serve 2> fifo` read by `head -1`, one /down, and serve was gone (EPIPE on a log line).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { builtCliAvailable } from '../helpers/cli.js';
import { pingStatus, stampProbe, startServeChild, type ServeChild } from '../helpers/serve-child.js';

const built = builtCliAvailable();
const children: ServeChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.stop();
});

describe.skipIf(!built)('serve and its surroundings (needs dist/: npx tsc)', () => {
  it('keeps serving when the reader of its stderr goes away (EPIPE on a log line)', async () => {
    const s = await startServeChild();
    children.push(s);
    // The log reader closes its end of the pipe, as `head -1` does after the start line.
    s.child.stderr?.destroy();
    // Each /down logs a line, and each line now meets a closed pipe.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://127.0.0.1:${s.httpPort}/down?bytes=1000`);
      expect((await res.arrayBuffer()).byteLength).toBe(1000);
    }
    // A failed write's error comes back within a loop turn or two; a crash from it would come before the server
    // had answered a request on a new connection (several turns): answered, then still running.
    expect(await pingStatus(s.httpPort, 1000)).toBe(200);
    expect(s.exited()).toBeNull();
    expect(await stampProbe(s.stampPort, '127.0.0.1', 1000)).toBe(44);
    // And it still stops the way a server is meant to: SIGTERM, exit 0.
    await s.stop();
    expect(s.exited()).toBe('code=0 signal=null');
  });
});
