/**
 * What `run` does around the measurement when nobody is watching (docs/field-operations.md):
 * random start delay (--splay), one run per config at a time (run lock, --wait-lock), a durable
 * spool copy of the records, an atomic node_exporter textfile, and pushing the spool (--push).
 * The spool and the textfile are RecordSinks that run.ts writes to beside the output;
 * everything heavy is imported lazily by the steps that need it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, QosError, errorMessage } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import type { Config } from '../config/types.js';
import type { Lock } from '../output/lock.js';
import type { SinkEntry } from '../output/record-sink.js';
import type { PushFormat } from '../core/format-names.js';
import type { PushTarget } from '../spool/receiver.js';
import type { AppIo } from './io.js';
import { say } from '../core/messages.js';

/** The unattended-run flags of `run` (commander camel-cases them). */
export interface UnattendedFlags {
  /** --spool DIR; --no-spool sets false. */
  spool?: string | false;
  push?: string;
  pushFormat?: PushFormat;
  pushToken?: string;
  pushDeadline?: number;
  splay?: number;
  waitLock?: number;
  textfileDir?: string;
  /** run's --quiet: no push summary either. */
  quiet?: boolean;
}

export interface UnattendedRun {
  /** The spool and the textfile, for the measuring path's list of sinks (before the output: a failing --out must not cost the spooled copy). */
  readonly sinks: readonly SinkEntry[];
  /** After the sinks closed: push the spool. Returns the exit code to use instead of OK, if any. */
  finish(): Promise<number | null>;
  release(): void;
}

/** Random delay in [0, seconds], ended early by the signal (Ctrl-C during a splay must not wait it out). */
export async function splayDelay(seconds: number, signal: AbortSignal, random: () => number = Math.random): Promise<number> {
  const ms = Math.floor(random() * seconds * 1000);
  if (signal.aborted || ms <= 0) return 0;
  const started = Date.now();
  await sleep(ms, signal);
  return Date.now() - started;
}

export async function prepareUnattendedRun(flags: UnattendedFlags, config: Config, io: AppIo, runId: string): Promise<UnattendedRun> {
  const { defaultSpoolDir, runLockPath } = await import('../spool/paths.js');
  if (flags.push && flags.spool === false) throw new QosError('USAGE', say('pushWithoutSpool'));
  let pushUrl: URL | null = null;
  let pushTarget: PushTarget | null = null;
  if (flags.push) {
    pushUrl = parsePushUrl(flags.push);
    // A format the receiver would drop is a usage error now, before measuring, not a loss later.
    pushTarget = (await import('../spool/receiver.js')).resolvePushTarget(pushUrl, flags.pushFormat, '--push-format');
  }

  // Splay before the lock: the lock is held only while this run really works.
  if (flags.splay && flags.splay > 0) await splayDelay(flags.splay, io.signal);

  const { acquireLockWaiting } = await import('../output/lock.js');
  const lockPath = runLockPath(io.env, config.file ? resolve(io.cwd, config.file) : `builtin:${io.cwd}`);
  const { mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const warn = (msg: string) => io.events.say(`qosprobe: warning: ${msg}\n`);
  let lock: Lock = { path: lockPath, release() {} };
  try {
    mkdirSync(dirname(lockPath), { recursive: true });
    lock = await acquireLockWaiting(lockPath, { waitMs: (flags.waitLock ?? 0) * 1000, signal: io.signal });
  } catch (err) {
    if (err instanceof QosError && err.code === 'LOCK_HELD') {
      const [pid, host, since] = readHolder(lockPath);
      const waited = flags.waitLock ? `, waited ${flags.waitLock} s` : '';
      throw new QosError(
        'LOCK_HELD',
        `another run of ${config.file ?? 'this config'} is still going (pid ${pid ?? '?'} on ${host ?? '?'} since ${since ?? '?'}; lock ${lockPath}${waited}); ` +
          `exit ${EXIT.LOCKED}. Use --wait-lock SECONDS to queue behind it.`,
      );
    }
    // A read-only state dir must not stop measurements: run, unguarded, and say so.
    warn(`cannot take the run lock in ${dirname(lockPath)} (${errorMessage(err)}); running without it`);
  }
  // Safety net: a lock file must not outlive the process whatever path it takes out.
  const unregister = io.atExit?.(() => lock.release());
  const release = () => {
    lock.release();
    unregister?.();
  };

  try {
    const spoolExplicit = typeof flags.spool === 'string';
    const spoolDir = flags.spool === false ? null : spoolExplicit ? resolve(io.cwd, flags.spool as string) : defaultSpoolDir(io.env);
    const sinks: SinkEntry[] = [];
    // Exit 4 for a spool that failed only where keeping the data was asked for (--spool DIR, or --push, which needs it).
    let code: number | null = null;
    if (spoolDir) {
      const { openSpoolWriter } = await import('../spool/spool.js');
      try {
        const spool = openSpoolWriter(spoolDir, runId.replace(/[^A-Za-z0-9_-]/g, '-'));
        sinks.push({
          sink: spool,
          onError(err) {
            warn(errorMessage(err));
            if (spoolExplicit || pushUrl) code = EXIT.OUTPUT;
          },
        });
      } catch (err) {
        // An explicit --spool (or --push, which needs it) is a promise to keep the data: fail before measuring.
        if (spoolExplicit || pushUrl) throw err;
        warn(`${errorMessage(err)}; records are not spooled this run`);
      }
    }
    if (flags.textfileDir) {
      const { textfileSink } = await import('../output/sink.js');
      sinks.push({
        sink: textfileSink(resolve(io.cwd, flags.textfileDir)),
        onError(err) {
          warn(errorMessage(err));
          code ??= EXIT.OUTPUT;
        },
      });
    }

    return {
      sinks,
      async finish() {
        if (pushUrl && pushTarget && spoolDir && !io.signal.aborted) {
          const pushed = await pushAndReport(io, {
            dir: spoolDir,
            url: pushUrl,
            target: pushTarget,
            token: flags.pushToken ?? io.env.QOSPROBE_PUSH_TOKEN ?? null,
            deadlineMs: (flags.pushDeadline ?? 60) * 1000,
            summary: io.interactive && !flags.quiet,
          });
          if (pushed.code !== EXIT.OK) code ??= pushed.code;
        }
        return code;
      },
      release,
    };
  } catch (err) {
    release();
    throw err;
  }
}

function readHolder(path: string): (string | undefined)[] {
  try {
    return readFileSync(path, 'utf8').trim().split(' ');
  } catch {
    return []; // released meanwhile
  }
}

export function parsePushUrl(s: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new QosError('USAGE', say('notAUrl', s));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new QosError('USAGE', say('notHttpUrl', u.protocol));
  return u;
}

export interface PushAndReportOptions {
  dir: string;
  url: URL;
  target: PushTarget;
  token: string | null;
  deadlineMs: number;
  gzip?: boolean;
  /** Ask VictoriaMetrics whether it dropped rows (default true; skipped where it cannot tell). */
  verify?: boolean;
  /** Push records older than STALE_AFTER_MS to a receiver that stamps them on arrival anyway. */
  allowPushTime?: boolean;
  /** Print the one-line summary of a push that sent something. */
  summary: boolean;
}

/** A batch that ended longer ago than this would land at the wrong time at a receiver that stamps samples on arrival. */
export const STALE_AFTER_MS = 5 * 60_000;

/**
 * Push, telling a human what happened: a line per batch on a TTY, a one-line summary when
 * asked, one line per problem always. Returns the exit code it calls for: 0, 2 (old records
 * for a receiver that would stamp them with the push time), 4 (sent, but the spool could not
 * be updated), 6 (batches still waiting or set aside), 130 (interrupted with batches waiting).
 */
export async function pushAndReport(io: AppIo, opts: PushAndReportOptions): Promise<{ code: number; sent: string[]; pending: string[]; rejected: string[] }> {
  const [{ pushSpool, staleBatches }, { listSpool }, { displayUrl }, { vmRowCheck }] = await Promise.all([
    import('../spool/push.js'),
    import('../spool/spool.js'),
    import('../spool/receiver.js'),
    import('../spool/verify.js'),
  ]);
  const where = displayUrl(opts.url);
  const say = (msg: string) => io.events.say(`qosprobe: push: ${msg}\n`);
  if (!opts.target.keepsTime && !opts.allowPushTime) {
    const stale = staleBatches(listSpool(opts.dir).pending, Date.now(), STALE_AFTER_MS);
    if (stale.length > 0) {
      const oldest = new Date(Math.min(...stale.map((s) => s.endedAtMs))).toISOString();
      say(
        `${stale.length} pending batch(es) in ${opts.dir} were measured more than ${STALE_AFTER_MS / 60_000} minutes ago (the oldest ended ${oldest}), ` +
          `and ${where} (${opts.target.why}) stamps samples with the time they arrive: they would land at the wrong time. Nothing was sent. ` +
          `Push them to a receiver that keeps the time (e.g. VictoriaMetrics /api/v1/import/prometheus or /write), or accept the push time with: qosprobe push --allow-push-time; exit ${EXIT.USAGE}`,
      );
      return { code: EXIT.USAGE, sent: [], pending: stale.map((s) => s.batch.name), rejected: [] };
    }
  }
  const tty = io.interactive;
  let unmarkedWhy = '';
  const vm = opts.target.kind !== 'unknown' && opts.target.kind !== 'pushgateway' && opts.verify !== false;
  const res = await pushSpool({
    dir: opts.dir,
    url: opts.url,
    format: opts.target.format,
    timestamps: opts.target.keepsTime,
    token: opts.token,
    deadlineMs: opts.deadlineMs,
    gzip: opts.gzip,
    rowCheck: vm ? vmRowCheck(opts.url, opts.target.format, opts.token ? { authorization: `Bearer ${opts.token}` } : {}) : null,
    signal: io.signal,
    onEvent: (e) => {
      if (e.type === 'unmarked') unmarkedWhy ||= e.reason;
      else if (e.type === 'rejected') say(`${e.batch.name}: ${e.reason}${e.lines ? '' : '; moved to rejected/'}`);
      else if (tty && e.type === 'sent') io.events.say(`push: sent ${e.batch.name} (${e.records} records, HTTP ${e.status})\n`);
      else if (tty && e.type === 'retry') io.events.say(`push: ${e.batch.name}: ${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)} s\n`);
    },
  });
  const delivered = res.sent.length + res.unmarked.length;
  if (opts.summary && (delivered > 0 || (res.pending.length === 0 && res.rejected.length === 0))) {
    const checked = res.verified ? ', the receiver counted no invalid rows' : '';
    say(delivered > 0 ? `sent ${delivered} batch(es), ${res.sentRecords} records, to ${where} as ${opts.target.format}${checked}` : `nothing to send in ${opts.dir}`);
  }
  if (res.unmarked.length > 0) {
    say(
      `${res.unmarked.length} batch(es) reached ${where} but could not be marked sent in ${opts.dir} (${unmarkedWhy}): ` +
        `the next push sends them again under the same Idempotency-Key; exit ${EXIT.OUTPUT}`,
    );
  }
  if (res.rejected.length > 0) say(`${res.rejected.length} set aside in ${opts.dir}/rejected; once fixed: qosprobe spool requeue --all; exit ${EXIT.PUSH_PENDING}`);
  if (res.pending.length > 0) say(`${res.pending.length} batch(es) still waiting in ${opts.dir} (${res.lastError}); exit ${EXIT.PUSH_PENDING}`);
  const code =
    io.signal.aborted && res.pending.length > 0
      ? EXIT.INTERRUPTED
      : res.pending.length > 0 || res.rejected.length > 0
        ? EXIT.PUSH_PENDING
        : res.unmarked.length > 0
          ? EXIT.OUTPUT
          : EXIT.OK;
  return { code, sent: res.sent, pending: res.pending, rejected: res.rejected };
}
