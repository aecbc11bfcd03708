/**
 * The lab index allocator (helpers/resources.ts): two suites on one host get disjoint blocks, a block is held while
 * its process lives and taken over once it is gone. Processes of their own, as two clones' suites would be; the lock
 * directory is a temp dir of this test, so it never touches the host's real locks.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/** Runs `code` (with reserveNetBlock imported) in a fresh process; its stdout. */
function child(locks: string, code: string, range = '1-6'): Promise<string> {
  const script = `import { reserveNetBlock } from ${JSON.stringify(join(ROOT, 'test/helpers/resources.ts'))};\n${code}`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, QOSPROBE_TEST_NET_LOCKS: locks, QOSPROBE_TEST_NET_RANGE: range, TSX_DISABLE_CACHE: '1' }, // no tsx cache left in TMPDIR
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/** A process that reserves `n` indexes, says which (the promise), and holds them until release() ends it. */
function holder(locks: string, n: number, range: string, reserve = `reserveNetBlock(${n})`): { block: Promise<number[]>; release(): Promise<void> } {
  const script = `import { reserveNetBlock } from ${JSON.stringify(join(ROOT, 'test/helpers/resources.ts'))};
console.log(JSON.stringify(${reserve}));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));`;
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, QOSPROBE_TEST_NET_LOCKS: locks, QOSPROBE_TEST_NET_RANGE: range, TSX_DISABLE_CACHE: '1' }, // no tsx cache left in TMPDIR
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const closed = new Promise<void>((r) => p.on('close', () => r()));
  return {
    block: new Promise((resolve, reject) => {
      p.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[]));
      p.on('close', (code) => reject(new Error(`holder exited ${code} before reserving`)));
    }),
    release: () => {
      p.stdin.end();
      return closed;
    },
  };
}

describe('lab index allocator', () => {
  it('two suites at the same moment get disjoint blocks; their exit releases them', async () => {
    const locks = tempDir('qosprobe-netlocks-');
    const [a, b] = [holder(locks, 3, '1-6'), holder(locks, 3, '1-6')];
    try {
      const [blockA, blockB] = await Promise.all([a.block, b.block]);
      expect(blockA).toHaveLength(3);
      expect(blockB).toHaveLength(3);
      expect(blockA.filter((i) => blockB.includes(i))).toEqual([]);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
    expect(readdirSync(locks)).toEqual([]);
  });

  it('two suites that find the same stale locks at the same moment take each over once', async () => {
    const locks = tempDir('qosprobe-netlocks-');
    // 200 locks of a process that is gone (a pid above any pid_max), then two processes taking 100 indexes each, one
    // at a time, at once: without a gate around the takeover both removed a stale lock and both created it again.
    for (let i = 1; i <= 200; i++) writeFileSync(join(locks, `${i}.lock`), JSON.stringify({ pid: 99_999_999, run: 'gone' }));
    // Both hold what they took until both have said what it is (one that exits first gives its indexes back).
    const take100 = 'Array.from({ length: 100 }, () => reserveNetBlock(1)[0])';
    const [a, b] = [holder(locks, 1, '1-200', take100), holder(locks, 1, '1-200', take100)];
    try {
      const all = (await Promise.all([a.block, b.block])).flat();
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
    // Their exit gave every index back, and no gate is left.
    expect(readdirSync(locks)).toEqual([]);
  });

  it('a lock whose process is gone is taken over; a live one is not, and the refusal says why', async () => {
    const locks = tempDir('qosprobe-netlocks-');
    // A process that dies without its exit hook (SIGKILL): its locks stay, naming a dead pid.
    await child(locks, `console.log(JSON.stringify(reserveNetBlock(2))); process.kill(process.pid, 'SIGKILL');`, '1-2').catch(() => '');
    expect(readdirSync(locks).sort()).toEqual(['1.lock', '2.lock']);
    const h = holder(locks, 2, '1-2');
    try {
      expect(await h.block).toEqual([1, 2]);
      await expect(child(locks, `reserveNetBlock(1);`, '1-2')).rejects.toThrow(/no 1 free lab network indexes in 1-2/);
    } finally {
      await h.release();
    }
  });

  it("names of an index are never another index's: what the run's check removes is its own", async () => {
    const { linkOfIndex, nsOfIndex } = await import('../helpers/resources.js');
    // Every name the labs make for index i (helpers/netns.ts, delaylab.ts, uplinks.ts, trace-lab.ts, the netns files).
    const links = (i: number) => [`qp${i}s`, `qp${i}c`, `qp${i}a`, `qp${i}fhr`, `qp${i}s3`, `qp${i}t0l`, `qp${i}t3r`];
    const spaces = (i: number) => [`qp${i}`, `qp${i}-s`, `qp${i}-c`, `qp${i}-r1`, `qpl${i}-client`];
    for (const i of [1, 2, 10, 12, 100, 121])
      for (const j of [1, 2, 10, 12, 100, 121]) {
        for (const l of links(i)) expect(linkOfIndex(l, j), `${l} of ${j}`).toBe(i === j);
        for (const n of spaces(i)) expect(nsOfIndex(n, j), `${n} of ${j}`).toBe(i === j);
      }
    expect(linkOfIndex('eth0', 1) || linkOfIndex('qpla', 1) || nsOfIndex('qplb', 1)).toBe(false);
  });
});
