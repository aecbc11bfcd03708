/**
 * Is this host busy with other work right now? Timing bars mean something only on a host that is not
 * oversubscribed. The 1-minute load average lags by a minute: right after the suite's parallel group it still
 * reads above the CPU count while the machine is idle, and loosened every bar in CI. So this samples the CPUs'
 * time for half a second (Linux /proc/stat) and calls the host busy when other work keeps more than half of them busy.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

function cpuTimes(): { idle: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { idle: (f[3] ?? 0) + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
}

/** CPUs' worth of time not idle over `ms`, or null where /proc/stat is not there. */
export function busyCpus(ms = 500): number | null {
  try {
    const a = cpuTimes();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // a synchronous sleep: bars are set at module load
    const b = cpuTimes();
    const total = b.total - a.total;
    return total > 0 ? ((total - (b.idle - a.idle)) / total) * cpus().length : null;
  } catch {
    return null;
  }
}

export function hostLoad(): { busy: boolean; what: string } {
  const n = cpus().length;
  const used = busyCpus();
  if (used === null) return { busy: loadavg()[0]! > n, what: `load average ${loadavg()[0]!.toFixed(2)} on ${n} CPUs` };
  return { busy: used > n / 2, what: `${used.toFixed(2)} of ${n} CPUs busy` };
}
