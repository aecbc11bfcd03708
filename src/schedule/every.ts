/**
 * `--every` intervals. Only intervals that cron, systemd and Windows Task Scheduler can all
 * express exactly: minutes that divide an hour, hours that divide a day, or one day. (`*\/7`
 * in cron fires at :00 :07 ... :56 and again at :00: not every 7 minutes.)
 */
export type Every = { unit: 'minute'; n: number; seconds: number } | { unit: 'hour'; n: number; seconds: number } | { unit: 'day'; n: 1; seconds: 86400 };

export type EveryParse = { ok: true; every: Every } | { ok: false; reason: string };

const MINUTES = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const HOURS = [1, 2, 3, 4, 6, 8, 12];

export function parseEvery(s: string): EveryParse {
  const m = /^\s*(\d{1,5})\s*(s|sec|m|min|h|hr|d|day)?\s*$/i.exec(s);
  if (!m) return { ok: false, reason: `expected a duration like 15m, 1h or 1d, got "${s}"` };
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const seconds = unit.startsWith('s') ? n : unit.startsWith('m') ? n * 60 : unit.startsWith('h') ? n * 3600 : n * 86400;
  if (seconds === 86400) return { ok: true, every: { unit: 'day', n: 1, seconds: 86400 } };
  if (seconds % 3600 === 0 && HOURS.includes(seconds / 3600)) return { ok: true, every: { unit: 'hour', n: seconds / 3600, seconds } };
  if (seconds % 60 === 0 && MINUTES.includes(seconds / 60)) return { ok: true, every: { unit: 'minute', n: seconds / 60, seconds } };
  return {
    ok: false,
    reason: `"${s}" cannot be scheduled exactly by cron, systemd and Task Scheduler alike; use ${MINUTES.map((x) => `${x}m`).join(', ')}, ${HOURS.map((x) => `${x}h`).join(', ')} or 1d`,
  };
}
