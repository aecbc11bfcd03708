import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'qosprobe.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function builtCliAvailable(): boolean {
  return existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
}

/** CLI processes not yet exited: a case that failed or timed out leaves them running (holding files, mounts, ports). */
const live = new Set<ChildProcess>();

/** SIGKILL every CLI process runCli started that is still running, and wait until each has gone. */
export async function stopCliChildren(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Spawn the built CLI (bin/qosprobe.js over dist/), as a user or cron would. Bounded: killed
 * after timeoutMs. `onSpawn` gets the child, e.g. to send SIGINT mid-run.
 */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; onSpawn?: (kill: (s: NodeJS.Signals) => void, pid: number) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    live.add(child);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      live.delete(child);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
    opts.onSpawn?.((s) => child.kill(s), child.pid ?? -1);
  });
}

/**
 * Resolves once process `pid` has slept for `quietMs` without using CPU (Linux /proc/<pid>/stat: state S, utime and
 * stime unchanged): the CLI is then waiting on a timer (a splay) rather than still starting. What a signal test
 * awaits before it signals: a SIGINT sent before the CLI has set its handler kills it outright (no exit code 130),
 * which a fixed 1.5 s delay did not prevent under two suites at once. (Node catches SIGINT from its first instant, so
 * the SigCgt mask says nothing.) False when the process ended first or after 30 s.
 */
export async function asleep(pid: number, quietMs = 300): Promise<boolean> {
  let last = '';
  let since = Date.now();
  for (const end = Date.now() + 30_000; Date.now() < end; ) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    // After the command's closing parenthesis: state, then fields 4..; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = `${f[11]} ${f[12]}`;
    if (f[0] !== 'S' || cpu !== last) {
      last = cpu;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return true;
    await new Promise((r) => setTimeout(r, 20)); // polling: the kernel raises no event when a process goes idle
  }
  return false;
}

export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A fresh temporary directory for one e2e case. */
export const e2eDir = (): string => tempDir('qosprobe-e2e-');

/** Write `body` as dir/qosprobe.yaml (where `run` finds it from that working directory); its path. */
export function writeConfig(dir: string, body: string): string {
  const p = join(dir, 'qosprobe.yaml');
  writeFileSync(p, body);
  return p;
}
