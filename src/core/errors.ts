/**
 * One error type for the whole project, with stable codes.
 *
 * Two families share it:
 * - measurement codes end up in a result record's `error_code` (a failed test is data);
 * - usage/config/output codes stop a run and map to an exit code (see `exitCodeFor`).
 */
import type { Lang, Localized } from './messages.js';

/** Codes that can appear in a result record's `error_code` column. Stable: analysts filter on them. */
export const MEASUREMENT_ERROR_CODES = [
  'DNS_FAILED', // the name did not resolve
  'CONNECT_REFUSED', // the host answered with a reset/refusal (port closed)
  'HOST_UNREACHABLE', // ICMP unreachable or no route to the host
  'NETWORK_UNREACHABLE', // no route to the network (interface down, no default route)
  'TIMEOUT', // nothing came back within timeout_ms for any attempt
  'ALL_LOST', // every packet/attempt was lost, with mixed or no specific cause
  'PING_UNAVAILABLE', // no usable system ping binary
  'PING_UNPARSEABLE', // ping ran but its output could not be read: no number is better than a wrong one
  'PING_FAILED', // ping exited with an error before sending (bad option, permission)
  'PROTOCOL_ERROR', // the far end answered something that is not the protocol
  'HTTP_STATUS', // an HTTP status other than the expected one
  'TLS_FAILED', // TLS handshake or certificate error
  'ABORTED', // the run was interrupted before this test started measuring
  'DEADLINE', // the run's deadline expired before this test could finish
  'SOCKET_ERROR', // any other socket-level error (the message says which)
  'INTERNAL', // a bug in qosprobe: please report it
  'TRACE_UNAVAILABLE', // no path-tracing tool (mtr, traceroute, tracert) installed
  'TRACE_FAILED', // the tracing tool refused to run (bad option, permission)
  'TRACE_UNPARSEABLE', // the tracing tool ran but its output could not be read
  'INTERFACE_NOT_FOUND', // the test's interface (--interface, interface:) does not exist on this host
  'INTERFACE_BIND_DENIED', // the OS refused to bind to the interface (Linux: CAP_NET_RAW needed before kernel 5.7)
  'INTERFACE_BIND_UNAVAILABLE', // binding to an interface is not possible here (not Linux, native addon not built, tool cannot)
] as const;
export type MeasurementErrorCode = (typeof MEASUREMENT_ERROR_CODES)[number];

/** Codes that stop a command. Each maps to one exit code. */
export type FatalErrorCode =
  | 'USAGE'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'LOCATION_UNKNOWN'
  | 'OUTPUT_FAILED'
  | 'OUTPUT_HEADER_MISMATCH'
  | 'LOCK_HELD'
  | 'PUSH_PENDING' // push: some spooled batches could not be sent (kept for the next push)
  | 'REPORT_INPUT_INVALID'; // report --strict: malformed or unknown-schema rows in the input

export type ErrorCode = MeasurementErrorCode | FatalErrorCode;

export class QosError extends Error {
  readonly code: ErrorCode;
  /** The message in every language (core/messages.ts), when it comes from the catalogue; `message` is its English. */
  readonly text: Localized | undefined;
  constructor(code: ErrorCode, message: string | Localized, options?: { cause?: unknown }) {
    super(typeof message === 'string' ? message : message.en, options);
    this.name = 'QosError';
    this.code = code;
    this.text = typeof message === 'string' ? undefined : message;
  }
}

/** The message of an error in the user's language, where the catalogue has it. */
export function messageIn(err: Error, lang: Lang): string {
  return err instanceof QosError && err.text ? err.text[lang] : err.message;
}

/** The exit codes, in one place. Documented in README.md ("Exit codes"). */
export const EXIT = {
  OK: 0,
  TEST_FAILED: 1, // only with --fail-on-error
  USAGE: 2,
  CONFIG: 3,
  OUTPUT: 4,
  LOCKED: 5,
  PUSH_PENDING: 6, // push / run --push: batches still waiting in the spool; rerun push later
  INTERNAL: 70, // EX_SOFTWARE: a bug
  INTERRUPTED: 130, // 128 + SIGINT, also used for SIGTERM so wrappers see one code
} as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof QosError)) return EXIT.INTERNAL;
  switch (err.code) {
    case 'USAGE':
      return EXIT.USAGE;
    case 'CONFIG_NOT_FOUND':
    case 'CONFIG_INVALID':
    case 'LOCATION_UNKNOWN':
    case 'REPORT_INPUT_INVALID':
      return EXIT.CONFIG;
    case 'OUTPUT_FAILED':
    case 'OUTPUT_HEADER_MISMATCH':
      return EXIT.OUTPUT;
    case 'LOCK_HELD':
      return EXIT.LOCKED;
    case 'PUSH_PENDING':
      return EXIT.PUSH_PENDING;
    default:
      return EXIT.INTERNAL;
  }
}

/** Map a Node socket/DNS error to our stable measurement code, by `err.code`, never by message text. */
export function measurementCodeFor(err: unknown): MeasurementErrorCode {
  if (err instanceof QosError && (MEASUREMENT_ERROR_CODES as readonly string[]).includes(err.code)) {
    return err.code as MeasurementErrorCode;
  }
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
    case 'EAI_FAIL':
      return 'DNS_FAILED';
    case 'ECONNREFUSED':
    case 'ECONNRESET':
      return 'CONNECT_REFUSED';
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
      return 'HOST_UNREACHABLE';
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return 'NETWORK_UNREACHABLE';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'TimeoutError':
      return 'TIMEOUT';
    case 'ABORT_ERR':
    case 'UND_ERR_ABORTED':
      return 'ABORTED';
    case 'ENODEV':
      return 'INTERFACE_NOT_FOUND';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'TLS_FAILED';
    default:
      return 'SOCKET_ERROR';
  }
}

/** A file-system failure as the user should read it (OUTPUT_FAILED, exit 4): "what: the disk is full". */
export function ioError(what: string, err: unknown): QosError {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'ENOSPC'
      ? 'the disk is full'
      : e.code === 'EROFS'
        ? 'read-only file system'
        : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'ENOENT'
          ? 'no such directory'
          : e.message;
  return new QosError('OUTPUT_FAILED', `${what}: ${reason}`, { cause: err });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
