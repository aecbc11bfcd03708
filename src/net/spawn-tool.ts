/**
 * Run a system tool (ping, mtr, traceroute, tracert) as the probes need it: its output collected whole, in the C
 * locale (untranslated text, a decimal point), stopped on abort or past a deadline like Ctrl-C (SIGINT: ping and
 * mtr print their summary then), killed if it does not go. The one way qosprobe spawns a measuring tool.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface Spawned {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** We stopped the tool: the abort signal fired, or the deadline passed; null when it ended by itself. */
  stoppedBy: 'abort' | 'deadline' | null;
  /** When we stopped it, ms after the spawn; null when we did not. */
  stoppedAtMs: number | null;
  /** From spawn to exit, ms. */
  durationMs: number;
}

export interface SpawnOptions {
  signal?: AbortSignal;
  /** Stop it after this long, ms. */
  deadlineMs: number;
  /** How long it gets after SIGINT to print and exit before SIGKILL, ms. Default 1000. */
  killGraceMs?: number;
}

/** Spawn, collect, stop on abort or after the deadline (SIGINT, then SIGKILL); rejects (with the spawn error) only when it cannot start. */
export function spawnTool(file: string, args: readonly string[], o: SpawnOptions): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // A copy with LC_ALL=C (stronger than LANG). Windows' tools ignore it and speak the system language, which the parsers cope with.
    const child = spawn(file, args, { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let settled = false;
    let stoppedBy: Spawned['stoppedBy'] = null;
    let stoppedAtMs: number | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'abort' | 'deadline') => {
      if (settled || stoppedBy) return;
      stoppedBy = why;
      stoppedAtMs = performance.now() - t0;
      // Like Ctrl-C: iputils, BusyBox and BSD ping and mtr print their summary on SIGINT, and die silently on SIGTERM.
      // On Windows this terminates the tool outright, which loses nothing there: every request already has its line.
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), o.killGraceMs ?? 1000);
    };
    const onAbort = () => stop('abort');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(() => stop('deadline'), o.deadlineMs);
    const finish = () => {
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (e) => {
      // After a successful spawn an 'error' can only come from kill(); 'close' still follows.
      if (settled || child.pid !== undefined) return;
      finish();
      reject(e);
    });
    child.once('close', (exitCode, exitSignal) => {
      if (settled) return;
      finish();
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode, exitSignal, stoppedBy, stoppedAtMs, durationMs: performance.now() - t0 });
    });
  });
}
