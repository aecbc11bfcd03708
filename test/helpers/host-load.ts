/**
 * Is this host busy with other work right now? Timing bars mean something only on a host that is not
 * oversubscribed. The 1-minute load average lags by a minute: right after the suite's parallel group it still
 * reads above the CPU count while the machine is idle, and loosened every bar in CI. So this samples the CPUs'
 * time for half a second (Linux /proc/stat) and calls the host busy when other work keeps more than half of them busy.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { beforeEach } from 'vitest';
import { sleepSync } from './wait.js';

function cpuTimes(): { idle: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { idle: (f[3] ?? 0) + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
}

/** CPUs' worth of time not idle over `ms`, or null where /proc/stat is not there. */
export function busyCpus(ms = 500): number | null {
  try {
    const a = cpuTimes();
    sleepSync(ms); // a synchronous sleep: bars are set at module load
    const b = cpuTimes();
    const total = b.total - a.total;
    return total > 0 ? ((total - (b.idle - a.idle)) / total) * cpus().length : null;
  } catch {
    return null;
  }
}

/** Whether this process's last hostLoad found the host busy even after looking again. */
let busyLastTime = false;

/**
 * Busy when other work keeps more than half the CPUs busy over half a second. A busy reading is looked at again, up
 * to 2 s, for a quiet half-second: a burst of this suite's own (another namespace file's transfer, the kernel tearing
 * down a lab) passes, and a case waits for it rather than skipping its bar (measured on an idle host: a link-uplinks
 * case read 1.42 CPUs busy before it, then 1.01 while it ran). A host found busy after that is not waited for again
 * by this file's next cases (CPU burners do not come and go), only measured.
 */
export function hostLoad(): { busy: boolean; what: string } {
  const n = cpus().length;
  let used = busyCpus();
  if (used === null) return { busy: loadavg()[0]! > n, what: `load average ${loadavg()[0]!.toFixed(2)} on ${n} CPUs` };
  const first = used;
  let looks = 0;
  for (; looks < 3 && used > n / 2 && !busyLastTime; looks++) used = busyCpus() ?? used;
  busyLastTime = used > n / 2;
  const waited = looks === 0 ? '' : ` (${first.toFixed(2)} ${looks * 0.5} s before)`;
  return { busy: busyLastTime, what: `${used.toFixed(2)} of ${n} CPUs busy${waited}` };
}

/**
 * How held up this process was between start and stop: the event loop's delay (p99, what a timer or a socket read
 * waited for the CPU) and the CPUs' busy time. A bar on timings taken in this process holds only if the loop ran on
 * time; a saturated host (over 90 % of every CPU) is called busy as well, since the kernel's own work then waits too.
 * `eventLoop: false` for a case that blocks its own loop on purpose: only the CPUs' time counts then.
 */
export function loadMeter(opts: { eventLoop?: boolean } = {}): { stop(): { busy: boolean; what: string } } {
  let a: { idle: number; total: number } | null;
  try {
    a = cpuTimes();
  } catch {
    a = null;
  }
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  return {
    stop() {
      loop.disable();
      const n = cpus().length;
      const lagMs = loop.count > 0 ? loop.percentile(99) / 1e6 : 0;
      let used: number | null = null;
      if (a !== null) {
        const b = cpuTimes();
        const total = b.total - a.total;
        used = total > 0 ? ((total - (b.idle - a.idle)) / total) * n : null;
      }
      const loopBusy = opts.eventLoop !== false && lagMs > LOOP_LAG_BAR_MS;
      // A case that blocks its own loop holds one CPU itself: the host is busy when other work takes half of the rest
      // (two suites on 2 CPUs read 100.8 ms against the 50 ms bar with the 90 % rule not met).
      const cpuBar = opts.eventLoop === false ? 1 + 0.5 * (n - 1) : 0.9 * n;
      const busy = loopBusy || (used !== null && used > cpuBar);
      const loopWhat = opts.eventLoop === false ? '' : `event loop held up to ${lagMs.toFixed(1)} ms (p99), `;
      return { busy, what: `${loopWhat}${used === null ? '?' : used.toFixed(2)} of ${n} CPUs busy, while it measured` };
    },
  };
}

/** Event-loop delay (p99, ms) above which in-process timings are the host's noise, not the code's. */
const LOOP_LAG_BAR_MS = 5;

/** QOSPROBE_ACCURACY=full: the tight bars hold whatever the host's load, and a busy host fails them rather than skipping. */
export const ACCURACY_FULL = process.env.QOSPROBE_ACCURACY === 'full';

/**
 * Skip the running case, saying what was measured, when the host was too busy to hold a timing bar; under
 * QOSPROBE_ACCURACY=full it never skips. Call it before the bar's assertions (the counts before it still apply).
 */
export function skipIfBusy(ctx: { skip(note?: string): never }, load: { busy: boolean; what: string }, bar: string): void {
  if (load.busy && !ACCURACY_FULL) ctx.skip(`host too busy to hold ${bar}: ${load.what}`);
}

/**
 * For a lab file whose every case holds a timing bar: before each case, measure the host (hostLoad, half a second)
 * and skip the case, saying what was measured, when other work keeps over half the CPUs busy (never under
 * QOSPROBE_ACCURACY=full, where the bars must hold). Measured per case: the load on a shared host comes and goes.
 */
export function skipEachWhenBusy(bar: string): void {
  beforeEach((ctx) => skipIfBusy(ctx, hostLoad(), bar));
}

/**
 * The host's load over a whole case, for a bar that follows assertions that must always hold (counts, identity):
 * other work before it (hostLoad, half a second) and over it (loadMeter), since another process may start mid-case.
 * Start it first in the case; pass `stop()` to skipIfBusy just before the timing bar.
 */
export function caseLoad(opts: { eventLoop?: boolean } = {}): { stop(): { busy: boolean; what: string } } {
  const before = hostLoad();
  const over = loadMeter(opts);
  return {
    stop() {
      const o = over.stop();
      return { busy: before.busy || o.busy, what: `${before.what} before the case; ${o.what}` };
    },
  };
}
