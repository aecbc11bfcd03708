/**
 * Files in directories others can write to, and locks left by others (issue 24 items 16, 17):
 * temp files for atomic writes are created exclusively under random names (a planted symlink is
 * never followed), and an empty, foreign or pre-boot lock does not block later runs.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, EMPTY_LOCK_GRACE_MS } from '../../src/output/lock.js';
import { writeFileAtomic } from '../../src/output/sink.js';
import { builtCliAvailable, runCli } from '../helpers/cli.js';
import { startTcpListener } from '../helpers/servers.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qosprobe-files-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic in a directory others can write to', () => {
  it('never follows a symlink planted under the old predictable temp name (.<name>.<pid>.tmp)', () => {
    const shared = tmp();
    const victim = join(tmp(), 'victim.conf');
    writeFileSync(victim, 'root-owned content\n');
    const target = join(shared, 'report.html');
    symlinkSync(victim, join(shared, `.report.html.${process.pid}.tmp`));
    writeFileAtomic(target, '<html>report</html>');
    expect(readFileSync(victim, 'utf8')).toBe('root-owned content\n');
    expect(readFileSync(target, 'utf8')).toBe('<html>report</html>');
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    // The planted link is left alone; our own temp file is gone.
    expect(readdirSync(shared).sort()).toEqual([`.report.html.${process.pid}.tmp`, 'report.html']);
  });

  it('repeated writes leave no temp file behind', () => {
    const d = tmp();
    for (let i = 0; i < 3; i++) {
      writeFileAtomic(join(d, 'state.json'), String(i));
      expect(readdirSync(d)).toEqual(['state.json']);
    }
    expect(readFileSync(join(d, 'state.json'), 'utf8')).toBe('2');
  });
});

describe('stale locks are recognised', () => {
  it('an empty lock older than the grace period is taken over; a fresh empty one is not', () => {
    const d = tmp();
    const path = join(d, 'x.lock');
    writeFileSync(path, '');
    expect(() => acquireLock(path)).toThrow(expect.objectContaining({ code: 'LOCK_HELD' }));
    const old = (Date.now() - EMPTY_LOCK_GRACE_MS - 2000) / 1000;
    utimesSync(path, old, old);
    const lock = acquireLock(path);
    expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    lock.release();
  });

  it('a foreign, unparseable lock older than the grace period is taken over', () => {
    const path = join(tmp(), 'x.lock');
    writeFileSync(path, '\u0000\u0000garbage from another tool');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    acquireLock(path).release();
    expect(existsSync(path)).toBe(false);
  });

  it('a lock from before the last boot is stale even if its PID is alive now (PID reuse)', () => {
    const path = join(tmp(), 'x.lock');
    // pid 1 is always alive; the lock's time is a day before this boot, as after a power cut.
    const beforeBoot = Date.now() - uptime() * 1000 - 86_400_000;
    writeFileSync(path, `1 ${hostname()} ${new Date(beforeBoot).toISOString()}\n`);
    utimesSync(path, beforeBoot / 1000, beforeBoot / 1000);
    acquireLock(path).release();
  });

  it('a lock with another boot id is stale even if its PID is alive', () => {
    if (!existsSync('/proc/sys/kernel/random/boot_id')) return;
    const path = join(tmp(), 'x.lock');
    writeFileSync(path, `1 ${hostname()} ${new Date().toISOString()} 00000000-0000-0000-0000-000000000000\n`);
    acquireLock(path).release();
  });

  it('a live holder of this boot still holds (pid 1, now, this boot id)', () => {
    const path = join(tmp(), 'x.lock');
    const bootId = existsSync('/proc/sys/kernel/random/boot_id') ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';
    writeFileSync(path, `1 ${hostname()} ${new Date().toISOString()} ${bootId}\n`);
    expect(() => acquireLock(path)).toThrow(expect.objectContaining({ code: 'LOCK_HELD' }));
  });

  it('the lock names this boot (Linux), so a reboot frees it whatever the clock did', () => {
    const path = join(tmp(), 'x.lock');
    const lock = acquireLock(path);
    const fields = readFileSync(path, 'utf8').trim().split(' ');
    if (existsSync('/proc/sys/kernel/random/boot_id')) expect(fields[3]).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    lock.release();
  });
});

describe.skipIf(!builtCliAvailable())('built CLI: a left-over lock does not stop cron runs', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  beforeAll(async () => {
    listener = await startTcpListener();
  });
  afterAll(async () => {
    await listener?.close();
  });

  const config = (d: string) => {
    const p = join(d, 'qosprobe.yaml');
    writeFileSync(
      p,
      `probe: { id: p-lock }\nlocation: { code: "32.73" }\ndefaults: { count: 2, interval_ms: 20, timeout_ms: 500 }\n` +
        `endpoints:\n  - name: up\n    host: 127.0.0.1\n    tests:\n      - { kind: tcp, port: ${listener.port} }\n`,
    );
    return p;
  };

  it('run --out beside an empty lock file a minute old (a crash between create and write): exit 0, records written', async () => {
    const d = tmp();
    const out = join(d, 'r.csv');
    writeFileSync(out + '.lock', '');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(out + '.lock', old, old);
    const r = await runCli(['run', '--config', config(d), '--no-host-info', '--no-spool', '-q', '--format', 'csv', '--out', out, '--append'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(out + '.lock')).toBe(false);
  });

  it('run --out beside a lock from before the reboot whose PID is alive again: exit 0', async () => {
    const d = tmp();
    const out = join(d, 'r.csv');
    const beforeBoot = Date.now() - uptime() * 1000 - 3_600_000;
    writeFileSync(out + '.lock', `1 ${hostname()} ${new Date(beforeBoot).toISOString()}\n`);
    utimesSync(out + '.lock', beforeBoot / 1000, beforeBoot / 1000);
    const r = await runCli(['run', '--config', config(d), '--no-host-info', '--no-spool', '-q', '--format', 'csv', '--out', out], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
  });
});
