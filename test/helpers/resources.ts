/**
 * What a test run makes outside its own process, and how it is given back (docs/architecture.md, "Tests"):
 * - lab network indexes: a block of `idx` values (subnets 10.77.<idx>.0/24, namespaces and devices named qp<idx>…)
 *   reserved per run with an exclusive lock file each, so two suites on one host (two clones at the same moment)
 *   never build the same namespace or subnet; a lock whose process is gone is taken over;
 * - mounts: unmounted even when something still holds them (a CLI a failed case left running).
 * test/global-setup.ts checks after the run that nothing of this run is left.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sleepSync } from './wait.js';

/** Where the index locks live: host-wide (not the per-run temp dir), so every clone's suite sees them. */
export const NET_LOCK_DIR = process.env.QOSPROBE_TEST_NET_LOCKS ?? '/run/lock/qosprobe-test-net';

/** The indexes handed out, inclusive; QOSPROBE_TEST_NET_RANGE="lo-hi" narrows them (e.g. one helper's own range). */
export function netRange(): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(process.env.QOSPROBE_TEST_NET_RANGE ?? '');
  return m ? { lo: Number(m[1]), hi: Number(m[2]) } : { lo: 100, hi: 239 };
}

/** This run's id (vitest.config.ts sets it to the run's own directory): the teardown checks what is left by it. */
const RUN = process.env.QOSPROBE_TEST_RUN ?? `pid-${process.pid}`;

interface LockInfo {
  pid: number;
  run: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** Create the lock file of `path` for this process; false when it exists. */
function create(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, JSON.stringify({ pid: process.pid, run: RUN } satisfies LockInfo));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  }
}

/**
 * Take the lock of one index; false when a live process holds it. A lock whose process is gone is taken over under a
 * host-wide gate (a directory: mkdir is atomic): two suites that found the same stale lock both removed it and both
 * created it again, the second removing the first's new lock, and built the same namespaces (two clones at once:
 * 'qp100-s: File exists' in both). A gate left by a process that died in it is cleared after 30 s.
 */
function take(idx: number): boolean {
  const path = join(NET_LOCK_DIR, `${idx}.lock`);
  if (create(path)) return true;
  const gate = join(NET_LOCK_DIR, 'takeover.gate');
  // Another process in the gate holds it for microseconds: wait for it (1 ms at a time, at most 5 s).
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(gate);
      break;
    } catch {
      try {
        if (Date.now() - statSync(gate).mtimeMs > 30_000) rmSync(gate, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (waited >= 5000) return false; // this index counts as held
      sleepSync(1); // the gate raises no event: lab set-up is synchronous
    }
  }
  try {
    const held = readLock(path);
    // A lock being written (empty for an instant) is taken; one whose process is gone is stale.
    if (held === null || alive(held.pid)) return false;
    rmSync(path, { force: true });
    return create(path);
  } finally {
    rmSync(gate, { recursive: true, force: true });
  }
}

const mine: number[] = [];
let exitHook = false;

/**
 * Reserve `n` consecutive lab indexes for this process (released when it exits, or by releaseNetBlock).
 * Throws when the range has no free block (the lab then fails to build and its tests skip, saying so).
 */
export function reserveNetBlock(n = 1): number[] {
  mkdirSync(NET_LOCK_DIR, { recursive: true });
  const { lo, hi } = netRange();
  // Blocks aligned to n, and a block given up at its first taken index: two suites reserving at the same moment then
  // never leave each other fragments (one scan from every start took [3,4,5] of 1-6 while the other held 1 and 2, and
  // the other then found no 3 in a row: a failure under two CPU burners).
  for (let start = lo; start + n - 1 <= hi; start += n) {
    const got: number[] = [];
    for (let i = start; i < start + n && take(i); i++) got.push(i);
    if (got.length === n) {
      mine.push(...got);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => releaseNetBlock(mine.slice()));
      }
      return got;
    }
    for (const i of got) rmSync(join(NET_LOCK_DIR, `${i}.lock`), { force: true });
  }
  throw new Error(`no ${n} free lab network indexes in ${lo}-${hi} (locks in ${NET_LOCK_DIR})`);
}

/** Give indexes back (after their namespaces are deleted). */
export function releaseNetBlock(idxs: readonly number[]): void {
  for (const i of idxs) {
    const path = join(NET_LOCK_DIR, `${i}.lock`);
    if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
    const k = mine.indexOf(i);
    if (k >= 0) mine.splice(k, 1);
  }
}

/** The indexes a run holds (or held, by a process now gone), from the lock files. */
export function netLocksOf(run: string): number[] {
  let names: string[];
  try {
    names = readdirSync(NET_LOCK_DIR);
  } catch {
    return [];
  }
  return names
    .map((f) => /^(\d+)\.lock$/.exec(f)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .filter((i) => readLock(join(NET_LOCK_DIR, `${i}.lock`))?.run === run);
}

/** Namespace names that belong to a lab index: qp<idx> and qp<idx>-<role>. */
export const nsOfIndex = (name: string, idx: number): boolean => name === `qp${idx}` || name.startsWith(`qp${idx}-`) || name.startsWith(`qpl${idx}-`); // qpl: the uplink lab (helpers/uplinks.ts)

/** Root-namespace link names that belong to a lab index: qp<idx> and a suffix not starting with a digit (qp12s, qp12t0l). */
export const linkOfIndex = (name: string, idx: number): boolean => name.startsWith(`qp${idx}`) && !/^\d/.test(name.slice(`qp${idx}`.length));

/** Every link in this (the root) namespace now, by name (empty where `ip` is missing). */
export function rootLinks(): string[] {
  try {
    return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((l) => /^\d+: ([^:@\s]+)/.exec(l)?.[1] ?? '')
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

/** Every network namespace now (empty where `ip` is missing). */
export function namespaces(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

/** Unmount `dir`; if something still holds it (EBUSY), detach it lazily so it goes once released, rather than stay. */
export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** Mount points at or under `dir` (from /proc/self/mountinfo; empty off Linux). */
export function mountsUnder(dir: string): string[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
      .filter((m) => m === dir || m.startsWith(`${dir}/`));
  } catch {
    return [];
  }
}

/**
 * `n` lab indexes for a lab test file, reserved at load: as root (where labs run) from the allocator; elsewhere
 * placeholders, never used, since the file then skips for want of root.
 */
export function labIndexes(n: number): number[] {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? reserveNetBlock(n) : Array.from({ length: n }, () => 0);
}

/** Signal a child and wait until it has exited (a process still running when the run ends is a leftover). */
export function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill(signal);
  });
}
