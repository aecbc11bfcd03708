/**
 * `qosprobe push` (and a library user's push): send a spool's unsent batches to a receiver, oldest first. The
 * receiver's URL picks the format (spool/receiver.ts); what each answer means for the exit code is pushAndReport's
 * (app/unattended.ts, shared with `run --push` and the monitor's push).
 */
import type { PushFormat } from '../core/format-names.js';
import type { AppIo } from './io.js';
import { spoolDirOf } from './spool.js';

export interface PushFlags {
  /** The spool directory, relative to io.cwd; absent: the user state dir. */
  spool?: string;
  /** The receiver's URL. */
  to: string;
  /** Required when the URL's path does not say; refused when it contradicts it. */
  format?: PushFormat;
  /** Bearer token; absent: $QOSPROBE_PUSH_TOKEN. */
  token?: string;
  /** Give up after this, retries included (default 120). */
  deadline?: number;
  /** false: bodies uncompressed. */
  gzip?: boolean;
  /** false: do not ask VictoriaMetrics whether it dropped rows. */
  verify?: boolean;
  allowPushTime?: boolean;
  /** No summary line (problems are still said). */
  quiet?: boolean;
}

export interface PushReport {
  /** 0, 2 (old records for a receiver that stamps the push time), 4 (sent, spool not updated), 6 (waiting or set aside), 130. */
  exitCode: number;
  /** The spool pushed from. */
  dir: string;
  sent: string[];
  pending: string[];
  rejected: string[];
}

/** Push every unsent batch of a spool; what happens is said through io.events, the exit code returned. */
export async function push(io: AppIo, flags: PushFlags): Promise<PushReport> {
  const [{ parsePushUrl, pushAndReport }, { resolvePushTarget }] = await Promise.all([
    import('./unattended.js'),
    import('../spool/receiver.js'),
  ]);
  const dir = spoolDirOf(io, flags.spool);
  const url = parsePushUrl(flags.to);
  const res = await pushAndReport(io, {
    dir,
    url,
    target: resolvePushTarget(url, flags.format, '--format'),
    token: flags.token ?? io.env.QOSPROBE_PUSH_TOKEN ?? null,
    deadlineMs: (flags.deadline ?? 120) * 1000,
    gzip: flags.gzip !== false,
    verify: flags.verify !== false,
    allowPushTime: Boolean(flags.allowPushTime),
    summary: !flags.quiet,
  });
  return { exitCode: res.code, dir, sent: res.sent, pending: res.pending, rejected: res.rejected };
}
