/**
 * What `run` does around the measurement when nobody is watching (docs/field-operations.md):
 * random start delay (--splay), one run per config at a time (run lock, --wait-lock), host
 * network context on every record, a durable spool copy of the records, an atomic
 * node_exporter textfile, and pushing the spool (--push). execute.ts calls in here at three
 * points; everything heavy is imported lazily by the steps that need it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, QosError, errorMessage } from '../errors.js';
import type { Config } from '../config/types.js';
import type { RunInfo } from '../output/formats.js';
import type { Lock } from '../output/lock.js';
import type { ResultRecord } from '../records/schema.js';
import type { SpoolWriter } from '../spool/spool.js';
import type { PushFormat } from '../spool/push-formats.js';
import type { CliIo } from './io.js';

/** The field-operation flags of `run` (commander camel-cases them). */
export interface FieldFlags {
  /** --spool DIR; --no-spool sets false. */
  spool?: string | false;
  push?: string;
  pushFormat?: PushFormat;
  pushToken?: string;
  pushDeadline?: number;
  splay?: number;
  waitLock?: number;
  textfileDir?: string;
}

export interface FieldRun {
  onRecord(r: ResultRecord): void;
  /** After the sink closed: commit the spool, write the textfile, push. Returns the exit code to use instead of OK, if any. */
  finish(run: RunInfo, records: readonly ResultRecord[]): Promise<number | null>;
  release(): void;
}

/** Random delay in [0, seconds], ended early by the signal (Ctrl-C during a splay must not wait it out). */
export function splayDelay(seconds: number, signal: AbortSignal, random: () => number = Math.random): Promise<number> {
  const ms = Math.floor(random() * seconds * 1000);
  return new Promise((done) => {
    if (signal.aborted || ms <= 0) return done(0);
    const started = Date.now();
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal.removeEventListener('abort', finish);
      done(Date.now() - started);
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}

export async function prepareFieldRun(flags: FieldFlags, config: Config, io: CliIo, runId: string): Promise<FieldRun> {
  const { defaultSpoolDir, runLockPath } = await import('../spool/paths.js');
  if (flags.push && flags.spool === false) throw new QosError('USAGE', '--push sends the spool: it cannot be combined with --no-spool');
  let pushUrl: URL | null = null;
  if (flags.push) pushUrl = parsePushUrl(flags.push);

  // Splay before the lock: the lock is held only while this run really works.
  if (flags.splay && flags.splay > 0) await splayDelay(flags.splay, io.signal);

  const { acquireLockWaiting } = await import('../output/lock.js');
  const lockPath = runLockPath(io.env, config.file ? resolve(io.cwd, config.file) : `builtin:${io.cwd}`);
  const { mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const warn = (msg: string) => io.stderr.write(`qosprobe: warning: ${msg}\n`);
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
  const onExit = () => lock.release();
  process.once('exit', onExit);
  const release = () => {
    lock.release();
    process.off('exit', onExit);
  };

  try {
    const spoolExplicit = typeof flags.spool === 'string';
    const spoolDir = flags.spool === false ? null : spoolExplicit ? resolve(io.cwd, flags.spool as string) : defaultSpoolDir(io.env);
    let writer: SpoolWriter | null = null;
    let spoolBroken = false;
    if (spoolDir) {
      const { openSpoolWriter } = await import('../spool/spool.js');
      try {
        writer = openSpoolWriter(spoolDir, runId.replace(/[^A-Za-z0-9_-]/g, '-'));
      } catch (err) {
        // An explicit --spool (or --push, which needs it) is a promise to keep the data: fail before measuring.
        if (spoolExplicit || pushUrl) throw err;
        warn(`${errorMessage(err)}; records are not spooled this run`);
      }
    }

    return {
      onRecord(r) {
        if (!writer || spoolBroken) return;
        try {
          writer.write(r);
        } catch (err) {
          spoolBroken = true;
          warn(errorMessage(err));
        }
      },
      async finish(_run, records) {
        let code: number | null = null;
        if (writer) {
          if (spoolBroken) writer.abort();
          else {
            try {
              writer.commit();
            } catch (err) {
              spoolBroken = true;
              warn(errorMessage(err));
            }
          }
          if (spoolBroken && (spoolExplicit || pushUrl)) code = EXIT.OUTPUT;
        }
        if (flags.textfileDir) {
          const [{ writeFileAtomic }, { openMetricsText }, { join }] = await Promise.all([
            import('../output/sink.js'),
            import('../monitoring/openmetrics.js'),
            import('node:path'),
          ]);
          try {
            // node_exporter reads *.prom only, so the sink's ".qosprobe.prom.PID.tmp" is never half-read.
            writeFileAtomic(join(resolve(io.cwd, flags.textfileDir), 'qosprobe.prom'), openMetricsText(records));
          } catch (err) {
            warn(errorMessage(err));
            code ??= EXIT.OUTPUT;
          }
        }
        if (pushUrl && spoolDir && !io.signal.aborted) {
          const pushed = await pushAndReport(io, {
            dir: spoolDir,
            url: pushUrl,
            format: flags.pushFormat ?? 'ndjson',
            token: flags.pushToken ?? io.env.QOSPROBE_PUSH_TOKEN ?? null,
            deadlineMs: (flags.pushDeadline ?? 60) * 1000,
          });
          if (pushed.pending.length > 0) code ??= EXIT.PUSH_PENDING;
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
    throw new QosError('USAGE', `--push/--to: "${s}" is not a URL (expected http(s)://host[:port]/path)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new QosError('USAGE', `--push/--to: expected an http(s) URL, got ${u.protocol}`);
  return u;
}

/** Push, telling a human what happened (a line per batch on a TTY; one line on failure always). */
export async function pushAndReport(
  io: CliIo,
  opts: { dir: string; url: URL; format: PushFormat; token: string | null; deadlineMs: number; gzip?: boolean },
): Promise<{ sent: string[]; pending: string[]; rejected: string[] }> {
  const { pushSpool } = await import('../spool/push.js');
  const tty = Boolean(io.stderr.isTTY);
  const res = await pushSpool({
    ...opts,
    signal: io.signal,
    onEvent: (e) => {
      if (e.type === 'rejected') io.stderr.write(`qosprobe: push: ${e.batch.name} rejected by the receiver (${e.reason}); moved to rejected/\n`);
      else if (tty && e.type === 'sent') io.stderr.write(`push: sent ${e.batch.name} (HTTP ${e.status})\n`);
      else if (tty && e.type === 'retry') io.stderr.write(`push: ${e.batch.name}: ${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)} s\n`);
    },
  });
  if (res.pending.length > 0) {
    io.stderr.write(`qosprobe: push: ${res.pending.length} batch(es) still waiting in ${opts.dir} (${res.lastError}); exit ${EXIT.PUSH_PENDING}\n`);
  }
  return res;
}
