/**
 * End to end, the one signal case of the CLI e2e tests: SIGINT at a moment mid-run. It runs with the timing
 * tests (one file at a time, vitest.config.ts) because "a moment" means something only on an unloaded machine;
 * the rest of the CLI e2e tests are in cli.e2e.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCliAvailable, e2eDir, ndjson, runCli, writeConfig } from '../helpers/cli.js';
import { startTcpListener } from '../helpers/servers.js';

const hasBuild = builtCliAvailable();
const tmp = e2eDir;

describe.skipIf(!hasBuild)('qosprobe CLI (built): signals', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  beforeAll(async () => {
    listener = await startTcpListener();
  });
  afterAll(async () => {
    await listener.close();
  });

  /** a (60 ms), then b (20 s), then c: interrupted while b runs. */
  const writePlan = (dir: string) =>
    writeConfig(dir, `
location: { code: "32.73" }
endpoints:
  - name: a
    host: 127.0.0.1
    tests: [{ kind: tcp, port: ${listener.port}, count: 3, interval_ms: 20 }]
  - name: b
    host: 127.0.0.1
    tests: [{ kind: tcp, port: ${listener.port}, count: 1000, interval_ms: 20 }]
  - name: c
    host: 127.0.0.1
    tests: [{ kind: tcp, port: ${listener.port}, count: 3 }]
`);

  /** `run` into out.FORMAT, SIGINT 1 s after measuring began. */
  const runInterrupted = (dir: string, format: 'ndjson' | 'json') =>
    runCli(['run', '--format', format, '--out', `out.${format}`], {
      cwd: dir,
      // Measuring starts once the output's lock is taken (start-up and host info take seconds on a loaded machine):
      // interrupt 1 s after that, when a (60 ms) is done and b (20 s) is running.
      onSpawn: (kill) => {
        const t0 = Date.now();
        const poll = setInterval(() => {
          if (!existsSync(join(dir, `out.${format}.lock`)) && Date.now() - t0 < 15_000) return;
          clearInterval(poll);
          setTimeout(() => kill('SIGINT'), 1000);
        }, 25);
      },
    });

  it('SIGINT mid-run: finished records written, the running test partial, exit 130, valid JSON', async () => {
    const dir = tmp();
    writePlan(dir);
    for (const format of ['ndjson', 'json'] as const) {
      const res = await runInterrupted(dir, format);
      expect(res.code).toBe(130);
      const text = readFileSync(join(dir, `out.${format}`), 'utf8');
      const recs = format === 'ndjson' ? ndjson(text) : ((JSON.parse(text) as { results: Record<string, unknown>[]; run: { status: string } }).results);
      // c never started: its record says so, as after --deadline (issue 25: one rule for unstarted tests).
      expect(recs.map((r) => [r.endpoint, r.status])).toEqual([
        ['a', 'ok'],
        ['b', 'partial'],
        ['c', 'error'],
      ]);
      expect(recs[1]).toMatchObject({ error_code: 'ABORTED' });
      expect(recs[2]).toMatchObject({ error_code: 'ABORTED', sent: null, received: null, loss_percent: null });
      expect(recs[1]!.sent as number).toBeGreaterThan(10);
      if (format === 'json') expect((JSON.parse(text) as { run: { status: string } }).run.status).toBe('interrupted');
    }
  });

  it('a person\'s Ctrl-C is not the site\'s outage: `report` leaves ABORTED records out of availability and says so (issue 25)', async () => {
    const dir = tmp();
    writePlan(dir);
    const res = await runInterrupted(dir, 'ndjson');
    expect(res.code).toBe(130);
    expect(ndjson(readFileSync(join(dir, 'out.ndjson'), 'utf8')).map((r) => r.error_code)).toEqual([null, 'ABORTED', 'ABORTED']);
    const csv = await runCli(['report', 'out.ndjson', '--by', 'location', '--format', 'csv'], { cwd: dir });
    expect(csv.code, csv.stderr).toBe(0);
    const [head, row] = csv.stdout.trim().split('\n').map((l) => l.split(','));
    const at = (name: string) => row![head!.indexOf(name)];
    // a's one ok record is the site's record; b (cut by Ctrl-C) and c (never started) are the technician's doing.
    expect([at('records'), at('ok'), at('availability_percent')]).toEqual(['1', '1', '100']);
    const table = await runCli(['report', 'out.ndjson', '--by', 'location'], { cwd: dir });
    expect(table.stdout).toContain('2 record(s) of interrupted tests (ABORTED: Ctrl-C, SIGTERM) left out');
  });
});
