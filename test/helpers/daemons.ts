/**
 * Real monitoring daemons from Debian (victoria-metrics, prometheus-pushgateway), started on
 * 127.0.0.1 with a free port and a temp data dir, stopped after the test. Tests skip when
 * the binary is missing; .ci/run installs the packages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export const VICTORIA_METRICS = ['/usr/bin/victoria-metrics', '/usr/local/bin/victoria-metrics'].find((p) => existsSync(p)) ?? null;
export const PUSHGATEWAY = ['/usr/bin/prometheus-pushgateway', '/usr/local/bin/pushgateway'].find((p) => existsSync(p)) ?? null;

export interface Daemon {
  url: string;
  port: number;
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startDaemon(bin: string, args: (port: number, dir: string) => string[], readyPath: string, timeoutMs = 15_000): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'qosprobe-daemon-'));
  const port = await freePort();
  let log = '';
  const child: ChildProcess = spawn(bin, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when its readiness path answers (a daemon raises no event for it); an exit ends the wait at once.
  const ready = await waitFor(
    async () => {
      if (child.exitCode !== null) return 'exited';
      const res = await fetch(url + readyPath, { signal: AbortSignal.timeout(1000) });
      return res.ok ? 'ready' : null;
    },
    `${bin} to answer ${readyPath}`,
    timeoutMs,
    100,
  ).catch(() => 'timed out');
  if (ready === 'ready') return { url, port, log: () => log, stop };
  await stop();
  throw new Error(`${bin} did not become ready on ${url}${readyPath}:\n${log.slice(-2000)}`);
}

export function startVictoriaMetrics(extraArgs: readonly string[] = []): Promise<Daemon> {
  return startDaemon(
    VICTORIA_METRICS!,
    (port, dir) => [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=100y', '-search.disableCache', '-loggerLevel=ERROR', ...extraArgs],
    '/health',
  );
}

export function startPushgateway(): Promise<Daemon> {
  // Debian's build persists to /var/lib/prometheus/pushgateway.data by default: shared by every test on the machine.
  return startDaemon(PUSHGATEWAY!, (port, dir) => [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'pushgateway.data')}`, '--log.level=error'], '/-/ready');
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** VictoriaMetrics /api/v1/export. New series become searchable within about a second, even after force_flush: poll until the answer settles. */
export async function vmExport(vm: Daemon, match: string, opts: { settleMs?: number; timeoutMs?: number } = {}): Promise<ExportedSeries[]> {
  let last: ExportedSeries[] = [];
  let stableSince = 0;
  const until = Date.now() + (opts.timeoutMs ?? 10_000);
  while (Date.now() < until) {
    await fetch(`${vm.url}/internal/force_flush`);
    const res = await fetch(`${vm.url}/api/v1/export?${new URLSearchParams({ 'match[]': match })}`);
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    const got = (await res.text())
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ExportedSeries);
    const samples = (xs: ExportedSeries[]) => xs.reduce((n, x) => n + x.values.length, 0);
    if (got.length > 0 && samples(got) === samples(last)) {
      if (Date.now() - stableSince >= (opts.settleMs ?? 1200)) return got;
    } else {
      stableSince = Date.now();
    }
    last = got;
    await new Promise((r) => setTimeout(r, 200)); // polling: VictoriaMetrics says nothing when a series has settled
  }
  return last;
}
