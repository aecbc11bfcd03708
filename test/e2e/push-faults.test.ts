/**
 * Faults on the way out: a receiver that fails, hangs or hangs up; a writer killed mid-batch;
 * a full disk; an --out that cannot be written. Nothing may be lost and nothing marked sent.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { pushSpool } from '../../src/spool/push.js';
import { listSpool, readBatch, writeBatch } from '../../src/spool/spool.js';
import { ROOT, builtCliAvailable, runCli } from '../helpers/cli.js';
import { monitoringRecord } from '../helpers/field-records.js';
import { startMidRequestCloser, startReceiver, type Behaviour } from '../helpers/receiver.js';
import { startTcpListener } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp.js';
import { unmount } from '../helpers/resources.js';

const tmp = () => tempDir('qosprobe-fault-');

function spoolOf(n: number): { dir: string; ids: string[]; bytes: string[] } {
  const dir = tmp();
  const ids: string[] = [];
  for (let b = 0; b < n; b++) {
    ids.push(writeBatch(dir, `b${b}`, [monitoringRecord(b), monitoringRecord(b + 10)], new Date(Date.UTC(2026, 10, 24, 9, 0, b)))!.id);
  }
  return { dir, ids, bytes: listSpool(dir).pending.map((b) => readFileSync(b.path, 'utf8')) };
}

function expectUntouched(s: { dir: string; ids: string[]; bytes: string[] }): void {
  const l = listSpool(s.dir);
  expect(l.pending.map((b) => b.id)).toEqual(s.ids);
  expect(l.pending.map((b) => readFileSync(b.path, 'utf8'))).toEqual(s.bytes);
  expect(l.sent).toEqual([]);
  expect(l.rejected).toEqual([]);
}

describe('push against a failing receiver: nothing lost, nothing marked sent', () => {
  const fast = { deadlineMs: 1500, initialBackoffMs: 50, maxBackoffMs: 200 } as const;

  for (const behaviour of ['status-500', 'hang', 'destroy'] as Behaviour[]) {
    it(`receiver ${behaviour}: every batch stays pending, byte for byte, and the first one was retried`, async () => {
      const s = spoolOf(3);
      const rx = await startReceiver({ behave: () => behaviour });
      try {
        // Stopped by an event (the second attempt failed and a retry is due), not by a deadline a loaded host could
        // reach first; only `hang` needs a short request timeout, the others fail on the receiver's own answer.
        const stop = new AbortController();
        const res = await pushSpool({
          dir: s.dir,
          url: new URL(rx.url),
          format: 'ndjson',
          ...fast,
          requestTimeoutMs: behaviour === 'hang' ? 250 : 20_000,
          deadlineMs: 25_000,
          signal: stop.signal,
          onEvent: (e) => {
            if (e.type === 'retry' && e.attempt >= 2) stop.abort();
          },
        });
        expect(res.sent).toEqual([]);
        expect(res.pending).toHaveLength(3);
        expect(res.lastError).toMatch(behaviour === 'status-500' ? /HTTP 500/ : behaviour === 'hang' ? /TIMEOUT/ : /ECONNRESET|SOCKET/);
        // In order: later batches are not tried while the first one fails.
        expect(new Set(rx.requests.map((r) => r.key))).toEqual(new Set([s.ids[0]]));
        expect(rx.requests.length).toBeGreaterThan(1);
        expectUntouched(s);
      } finally {
        await rx.close();
      }
    });
  }

  it('an attempt the push deadline cuts short keeps what the receiver answered before as the reason', async () => {
    const s = spoolOf(1);
    const rx = await startReceiver({ behave: (_r, n) => (n === 1 ? 'status-500' : 'hang') });
    try {
      // A fake clock: the 500 has all the time it needs, then 300 ms are left for the next attempt, then none.
      let clock = 1e12;
      const until = clock + 25_000;
      const res = await pushSpool({
        dir: s.dir,
        url: new URL(rx.url),
        format: 'ndjson',
        ...fast,
        deadlineMs: 25_000,
        requestTimeoutMs: 20_000,
        now: () => clock,
        onEvent: (e) => {
          if (e.type === 'retry') clock = e.attempt === 1 ? until - 300 : until;
        },
      });
      expect(res.pending).toHaveLength(1);
      // Found under load: the CLI said "no response (TIMEOUT)" of a receiver that had answered 500.
      expect(res.lastError).toMatch(/HTTP 500: storage unavailable \(the next attempt was cut short by the push deadline\)$/);
      expect(rx.requests).toHaveLength(2);
      expectUntouched(s);
    } finally {
      await rx.close();
    }
  });

  it('receiver closes the connection while the body is still arriving', async () => {
    const s = spoolOf(2);
    const rx = await startMidRequestCloser();
    try {
      const res = await pushSpool({ dir: s.dir, url: new URL(rx.url), format: 'ndjson', gzip: false, ...fast });
      expect(res.sent).toEqual([]);
      expect(res.pending).toHaveLength(2);
      expect(rx.hits()).toBeGreaterThan(1);
      expectUntouched(s);
    } finally {
      await rx.close();
    }
  });

  it('a 500 for the first attempts, then 2xx: sent once acknowledged, in order', async () => {
    const s = spoolOf(2);
    const rx = await startReceiver({ behave: (_r, n) => (n <= 2 ? 'status-500' : 'ok') });
    try {
      const res = await pushSpool({ dir: s.dir, url: new URL(rx.url), format: 'ndjson', ...fast, deadlineMs: 5000 });
      expect(res.sent).toHaveLength(2);
      expect(rx.stored.map((r) => r.key)).toEqual(s.ids);
      expect(listSpool(s.dir).sent.map((b) => b.id)).toEqual(s.ids);
    } finally {
      await rx.close();
    }
  });

  it('a 400 (body refused) moves that batch to rejected/ and goes on with the next', async () => {
    const s = spoolOf(2);
    const rx = await startReceiver({ behave: (r) => (r.key === 'b0' ? 'status-400' : 'ok') });
    try {
      const res = await pushSpool({ dir: s.dir, url: new URL(rx.url), format: 'ndjson', ...fast });
      expect(res.rejected).toHaveLength(1);
      expect(res.sent).toHaveLength(1);
      const l = listSpool(s.dir);
      expect(l.rejected.map((b) => b.id)).toEqual(['b0']);
      expect(l.sent.map((b) => b.id)).toEqual(['b1']);
      expect(readFileSync(l.rejected[0]!.path, 'utf8')).toBe(s.bytes[0]); // kept for a human
    } finally {
      await rx.close();
    }
  });

  it.skipIf(!builtCliAvailable())('qosprobe push exits 6 and says so when batches are still waiting', async () => {
    const s = spoolOf(1);
    const rx = await startReceiver({ behave: () => 'status-500' });
    try {
      // 5 s: under load a 1 s deadline passed before the first answer came (the reason was then TIMEOUT, rightly).
      const res = await runCli(['push', '--spool', s.dir, '--to', rx.url, '--format', 'ndjson', '--deadline', '5']);
      expect(res.code).toBe(6);
      expect(res.stderr).toMatch(/1 batch\(es\) still waiting.*HTTP 500/);
      expectUntouched(s);
    } finally {
      await rx.close();
    }
  });
});

describe.skipIf(!builtCliAvailable())('SIGKILL in the middle of a spool write', () => {
  it('leaves only whole batches; a temp file is never taken for a batch', async () => {
    const dir = tmp();
    const perBatch = 4000;
    const child = `
      const { writeBatch } = await import(${JSON.stringify(join(ROOT, 'dist/spool/spool.js'))});
      const rec = JSON.parse(process.argv[2]);
      const records = Array.from({ length: ${perBatch} }, (_, i) => ({ ...rec, sent: i }));
      for (let n = 0; ; n++) writeBatch(process.argv[1], 'k' + process.pid + '-' + n, records);
    `;
    // Readiness, not a clock: poll the spool (a 10 ms turn) until `ready` holds; the deadline only ends a hung child.
    const until = async (ready: (names: string[]) => boolean) => {
      await waitFor(() => ready(readdirSync(dir)), 'the writer to make progress in the spool', 30_000, 10);
      return performance.now();
    };
    const whole = (names: string[]) => names.filter((n) => !n.endsWith('.tmp')).length;
    let sawTemp = false;
    let writeMs = 0;
    for (let round = 0; round < 12; round++) {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child, dir, JSON.stringify(monitoringRecord(1))], { stdio: 'ignore' });
      const exited = new Promise((r) => p.once('exit', r));
      try {
        const before = readdirSync(dir).length;
        const started = await until((n) => n.length > before);
        if (round === 0) {
          // The first round waits for a whole batch (so one exists on any host: a fixed 60–310 ms after start-up
          // completed none under load) and times it; it is then killed on its next temp file, mid-write.
          const done = whole(readdirSync(dir)) + 1;
          writeMs = Math.max(1, (await until((n) => whole(n) >= done)) - started);
          await until((n) => n.some((x) => x.endsWith('.tmp')));
        } else {
          // A random moment within the write time this host showed: mid-write, whatever the host's speed.
          await new Promise((r) => setTimeout(r, Math.random() * 1.5 * writeMs)); // the random moment is the test
        }
        if (readdirSync(dir).some((n) => n.endsWith('.tmp'))) sawTemp = true;
      } finally {
        p.kill('SIGKILL');
        await exited;
      }
      if (readdirSync(dir).some((n) => n.endsWith('.tmp'))) sawTemp = true;
    }
    const l = listSpool(dir);
    expect(l.pending.length).toBeGreaterThan(0);
    for (const b of l.pending) {
      const recs = readBatch(b.path);
      expect(recs).toHaveLength(perBatch);
      expect(recs.at(-1)!.sent).toBe(perBatch - 1);
    }
    // The kills did land mid-write (a temp was there), and listSpool never lists a temp as a batch.
    expect(sawTemp).toBe(true);
    expect(l.pending.every((b) => !b.name.endsWith('.tmp'))).toBe(true);
  }, 120_000);
});

describe.skipIf(!builtCliAvailable())('output that cannot be written: exit 4 and a clear message', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  let cwd: string;
  beforeAll(async () => {
    listener = await startTcpListener();
    cwd = tmp();
    writeFileSync(
      join(cwd, 'qosprobe.yaml'),
      `probe: { id: fault }\nlocation: { code: "32.73" }\ndefaults: { count: 2, interval_ms: 20, timeout_ms: 300 }\nendpoints:\n  - name: up\n    host: 127.0.0.1\n    tests: [{ kind: tcp, port: ${listener.port} }]\n`,
    );
  });
  afterAll(async () => {
    await listener.close();
  });

  it('--out in a directory that does not exist', async () => {
    const res = await runCli(['run', '--no-host-info', '--no-spool', '--out', join(cwd, 'missing', 'out.csv')], { cwd });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/missing\/out\.csv.*no such directory/);
  });

  it('--out below a regular file', async () => {
    writeFileSync(join(cwd, 'afile'), '');
    const res = await runCli(['run', '--no-host-info', '--no-spool', '--format', 'json', '--out', join(cwd, 'afile', 'out.json')], { cwd });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/qosprobe: cannot/);
  });

  const isRoot = process.getuid?.() === 0;
  const canMount = isRoot && process.platform === 'linux';
  describe.skipIf(!canMount)(`full disk (a 64 KiB tmpfs)${canMount ? '' : ': SKIPPED, needs root on Linux to mount a tmpfs'}`, () => {
    let mnt: string;
    let mounted = false;
    beforeAll(() => {
      mnt = tmp();
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
        mounted = true;
      } catch {
        mounted = false; // no CAP_SYS_ADMIN in this container: the tests below check it and skip
      }
    });
    /** Either no byte free (even the lock file fails) or exactly one page (the lock fits, the records do not). */
    function prepare(onePageFree: boolean): void {
      for (const n of readdirSync(mnt)) rmSync(join(mnt, n), { recursive: true, force: true });
      writeFileSync(join(mnt, 'spare'), 'x'); // one page kept aside
      try {
        writeFileSync(join(mnt, 'filler'), Buffer.alloc(1024 * 1024));
      } catch {
        // ENOSPC: full to the last block, as intended
      }
      if (onePageFree) rmSync(join(mnt, 'spare'));
    }
    afterAll(() => {
      if (mounted) unmount(mnt);
    });

    for (const [format, onePageFree] of [['csv', false], ['csv', true], ['json', true], ['influx', true]] as const) {
      it(`--format ${format} --out on a full disk (${onePageFree ? 'the lock file fits, the records do not' : 'not a byte free'})`, async (ctx) => {
        if (!mounted) ctx.skip();
        prepare(onePageFree);
        const res = await runCli(['run', '--no-host-info', '--no-spool', '--format', format, '--out', join(mnt, `out.${format}`)], { cwd });
        expect(res.code).toBe(4);
        expect(res.stderr).toMatch(/disk is full/);
        // No half-written document left behind under the final name.
        if (format === 'json') expect(existsSync(join(mnt, 'out.json'))).toBe(false);
        // Whatever the failure left behind (a lock of a dead process), the next run with space succeeds.
        rmSync(join(mnt, 'filler'));
        const again = await runCli(['run', '--no-host-info', '--no-spool', '--format', format, '--out', join(mnt, `out.${format}`)], { cwd });
        expect(again.code, again.stderr).toBe(0);
      });
    }

    it('--spool on a full disk: exit 4 before measuring', async (ctx) => {
      if (!mounted) ctx.skip();
      prepare(false);
      const res = await runCli(['run', '--no-host-info', '--format', 'ndjson', '--spool', join(mnt, 'spool')], { cwd });
      expect(res.code).toBe(4);
      expect(res.stderr).toMatch(/spool.*disk is full/);
    });
  });
});
