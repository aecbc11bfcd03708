/**
 * A one-packet tcp test read its kernel figure only after the reader's batch wait (100 ms idle in every
 * `qosprobe tcp HOST:PORT -c 1`, issue 20's fast start): flush() reads what is held at once, and the tcp
 * probe calls it when its last handshake is over.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKernelRttReader } from '../../src/probes/kernel-rtt.js';

/** A socket as the reader sees it: an established connection's ports, and destroy(). */
function heldSocket(localPort: number): Socket {
  const s = new Socket();
  Object.defineProperty(s, 'localPort', { value: localPort });
  Object.defineProperty(s, 'remoteAddress', { value: '127.0.0.1' });
  return s;
}

describe('kernel RTT reader: flush', () => {
  afterEach(() => vi.useRealTimers());

  it('reads the held connections at once, without waiting for the batch timer', async () => {
    vi.useFakeTimers();
    const calls: string[][] = [];
    const reader = createKernelRttReader({
      remotePort: 8080,
      platform: 'linux',
      flushAfterMs: 60_000,
      ss: async (args) => {
        calls.push(args);
        return 'ESTAB 0 0 127.0.0.1:40001 127.0.0.1:8080 cubic rtt:0.05/0.025';
      },
    });
    const rtt = reader.read(heldSocket(40001));
    expect(calls).toHaveLength(0);
    await reader.flush();
    expect(calls).toHaveLength(1);
    await expect(rtt).resolves.toBe(0.05);
    // Nothing is left for the timer; a later read starts a new batch.
    expect(vi.getTimerCount()).toBe(0);
    await reader.close();
  });

  it('with nothing held, flush spawns no ss', async () => {
    const ss = vi.fn(async () => '');
    const reader = createKernelRttReader({ remotePort: 8080, platform: 'linux', ss });
    await reader.flush();
    await reader.close();
    expect(ss).not.toHaveBeenCalled();
  });
});

describe('tcp probe: the last handshake is read without the batch wait', () => {
  afterEach(() => vi.useRealTimers());

  it('a one-packet test ends with its kernel figure while the batch timer never fires', async () => {
    const { startTcpListener } = await import('../helpers/servers.js');
    const { tcp } = await import('../../src/probes/tcp.js');
    const listener = await startTcpListener();
    try {
      // setTimeout is frozen: only a flush that does not wait for the reader's 100 ms timer lets the test end.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const out = await tcp.run({ name: 'lo', host: '127.0.0.1' }, { kind: 'tcp', port: listener.port, count: 1, intervalMs: 1000, timeoutMs: 2000 }, { signal: new AbortController().signal });
      vi.useRealTimers();
      expect(out.samples).toMatchObject({ type: 'packets', packets: [{ rttMs: expect.any(Number) }] });
      expect(out.fields?.rtt_timestamping).toMatch(/^(kernel|event_loop)$/); // kernel where ss runs
    } finally {
      vi.useRealTimers();
      await listener.close();
    }
  });
});
