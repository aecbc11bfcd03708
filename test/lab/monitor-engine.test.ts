/**
 * One engine (issue 20) through the delay lab at a 50 ms round trip (test/helpers/delaylab.ts; lab index 230):
 * `qosprobe monitor` and `qosprobe stamp`, run at the same time from the client namespace against one
 * `qosprobe serve`, measure the same thing the same way: the monitor's window rtt_median_ms is within 0.05 ms of
 * the stamp test's, and both say rtt_timestamping kernel_rx (the native socket; found before: the monitor's own
 * sender read 0.28 ms where stamp read 0.055 on loopback, with rtt_timestamping null).
 * Root only; skips, saying why, where the lab can't be built or the native addon is not built.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeUdp, nativeUdpUnavailable } from '../../src/stamp/native.js';
import { BIN, builtCliAvailable } from '../helpers/cli.js';
import { createDelayLab, delayLabUnavailable, realtimeUnavailable, type DelayLab } from '../helpers/delaylab.js';

const IDX = 230;
const skipWhy =
  delayLabUnavailable() ?? (builtCliAvailable() ? null : 'dist/ is not built (npx tsc -p tsconfig.json)') ?? (nativeUdp() ? null : `the native UDP addon is not built: ${nativeUdpUnavailable()}`);
if (skipWhy) console.warn(`monitor-engine lab: skipped: ${skipWhy}`);

describe.skipIf(skipWhy !== null)('monitor and stamp through the delay lab at 50 ms', () => {
  let lab: DelayLab | undefined;
  let server: ChildProcess | undefined;
  let dir: string | undefined;
  let labError: string | null = null;

  beforeAll(async () => {
    try {
      lab = await createDelayLab(IDX, { delayMs: 25, realtime: realtimeUnavailable() === null });
    } catch (err) {
      labError = err instanceof Error ? err.message : String(err);
      console.warn(`monitor-engine lab: skipped: the delay lab could not be built: ${labError}`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'qosprobe-engine-lab-'));
    server = spawn('ip', ['netns', 'exec', lab.pair.server, process.execPath, BIN, 'serve', '--host', lab.pair.serverIp, '--stamp-port', '8862', '--http-port', '8080', '-q'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500));
  }, 30_000);

  afterAll(async () => {
    server?.kill('SIGTERM');
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('window rtt_median_ms within 0.05 ms of stamp\'s, both kernel_rx', async (ctx) => {
    if (labError || !lab || !dir) return ctx.skip();
    const cfg = join(dir, 'qosprobe.yaml');
    writeFileSync(
      cfg,
      [
        'location: { code: "32.73" }',
        'endpoints:',
        `  - { name: srv, host: ${lab.pair.serverIp}, tests: [{ kind: stamp, port: 8862 }] }`,
        'output: { format: ndjson }',
        'monitor: { interval_ms: 100, timeout_ms: 1000, window_s: 3 }',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), QOSPROBE_GATEWAY_PING: '0' };
    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', lab!.pair.client, process.execPath, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited ${code}: ${err}`))));
      });
    const [monitorOut, stampOut] = await Promise.all([
      run(['monitor', '--config', cfg, '--no-host-info', '--duration', '4', '-q']),
      run(['stamp', `${lab.pair.serverIp}:8862`, '-c', '25', '-i', '100', '-f', 'ndjson', '-q', '--no-host-info']),
    ]);
    const window = JSON.parse(monitorOut.trim().split('\n')[0] as string) as Record<string, number | string | null>;
    const stamp = JSON.parse(stampOut.trim()) as Record<string, number | string | null>;
    console.info(`monitor-engine lab: window median ${window.rtt_median_ms} ms (${window.received} replies), stamp ${stamp.rtt_median_ms} ms`);
    expect(window.rtt_timestamping).toBe('kernel_rx');
    expect(stamp.rtt_timestamping).toBe('kernel_rx');
    expect(window.received as number).toBeGreaterThanOrEqual(20);
    expect(stamp.received).toBe(25);
    expect(Math.abs((window.rtt_median_ms as number) - 50)).toBeLessThan(2); // the lab's 50 ms is really there
    expect(Math.abs((window.rtt_median_ms as number) - (stamp.rtt_median_ms as number))).toBeLessThan(0.05);
  }, 60_000);
});
