/**
 * A delay lab (root only): a namespace pair (netns.ts) whose server end holds every packet in and out for
 * a known delay, through iptables NFQUEUE and test/helpers/nfq-delay.py, which logs the delay it applied to
 * each packet. That log is the ground truth accuracy tests compare with (this kernel has no netem, and
 * ../shared/lab/delaylab is not in every checkout). Queue 0 holds what reaches the server (up), queue 1
 * what it sends (down).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetnsPair, isRoot, type NetnsPair } from './netns.js';

export interface Applied {
  /** IP protocol (1 ICMP, 6 TCP, 17 UDP) and IP total length of the packet. */
  proto: number;
  len: number;
  /** Delay held, ms (release − arrival in the delayer). */
  appliedMs: number;
}

export interface DelayLab {
  pair: NetnsPair;
  /** Everything logged so far per direction; slice between two calls to get one test's packets. */
  log(): { up: Applied[]; down: Applied[] };
  close(): Promise<void>;
}

/** Why the lab can't be built here, or null when it can. */
export function delayLabUnavailable(): string | null {
  if (!isRoot) return 'the delay lab needs root (network namespaces, iptables)';
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
    ['python3', ['--version']],
  ] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'ignore' });
    } catch {
      return `${cmd} is not installed (apt-get install iptables python3)`;
    }
  }
  return null;
}

export function startDelayer(ns: string, queue: number, delayMs: number, jitterMs: number, seed: number, into: Applied[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', join(import.meta.dirname, 'nfq-delay.py'), String(queue), String(delayMs), String(jitterMs), String(seed)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      const j = JSON.parse(l) as { ready?: boolean; error?: string; proto?: number; len?: number; applied?: number };
      if (j.ready) return resolve(child);
      if (j.error) return reject(new Error(j.error));
      into.push({ proto: j.proto!, len: j.len!, appliedMs: j.applied! });
    });
    child.once('exit', (code) => reject(new Error(`nfq-delay.py exited (${code})`)));
  });
}

/** One-way delay `delayMs` + uniform [0, jitterMs) each way, on the server's end of pair `idx`. */
export async function createDelayLab(idx: number, o: { delayMs: number; jitterMs?: number; seed?: number }): Promise<DelayLab> {
  const pair = createNetnsPair(idx);
  const dev = `qp${idx}s`;
  const up: Applied[] = [];
  const down: Applied[] = [];
  const delayers: ChildProcess[] = [];
  try {
    // --queue-bypass: if the delayer is gone, packets pass instead of being dropped.
    execFileSync('ip', ['netns', 'exec', pair.server, 'iptables', '-A', 'INPUT', '-i', dev, '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
    execFileSync('ip', ['netns', 'exec', pair.server, 'iptables', '-A', 'OUTPUT', '-o', dev, '-j', 'NFQUEUE', '--queue-num', '1', '--queue-bypass']);
    delayers.push(await startDelayer(pair.server, 0, o.delayMs, o.jitterMs ?? 0, o.seed ?? 1, up));
    delayers.push(await startDelayer(pair.server, 1, o.delayMs, o.jitterMs ?? 0, (o.seed ?? 1) + 1, down));
  } catch (err) {
    for (const d of delayers) d.kill('SIGKILL');
    pair.teardown();
    throw err;
  }
  return {
    pair,
    log: () => ({ up: [...up], down: [...down] }),
    close: async () => {
      await Promise.all(
        delayers.map(
          (d) =>
            new Promise<void>((r) => {
              if (d.exitCode !== null) return r();
              d.once('exit', () => r());
              d.kill('SIGTERM');
            }),
        ),
      );
      pair.teardown();
    },
  };
}
