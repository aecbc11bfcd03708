/**
 * Output formats: the registry's serialisers (src/core/format-names.ts describes each format;
 * src/output/formats/<name>.ts turns records into its text). Files, appends and locks are the
 * sink's business (sink.ts), request bodies the pusher's (spool/push.ts); a format only turns
 * records into text. Loaded only by commands that write or push: --help reads the registry.
 */
import { ALL_FORMAT_NAMES, FORMATS, FORMAT_NAMES, isFormatName, type AnyFormatName, type FormatInfo, type FormatName } from '../core/format-names.js';
import type { ResultRecord } from '../core/schema.js';
import type { RunIdentity } from '../records/assemble.js';

/** What the JSON document says about the run as a whole: its records' run-level columns, and how it went. */
export interface RunInfo extends RunIdentity {
  started_at: string;
  finished_at: string | null;
  /** completed, or interrupted (signal) / deadline (the run's --deadline passed). */
  status: 'completed' | 'interrupted' | 'deadline';
}

/** A streaming format's serialiser: a header once, then whole records. */
export interface StreamingWriter {
  /** Written once at the top of a new file (CSV header), '' if none. */
  header(): string;
  /** One whole record, newline included: written with a single write so a crash never splits it. */
  record(r: ResultRecord): string;
  /** Could a file starting with this line be this format? `--append` refuses to mix formats in one file. */
  firstLineOk(line: string): boolean;
  /** What the format's files start with, for the refusal message. */
  readonly looksLike: string;
  /**
   * A file of an older layout of this format that records can still be appended to, read from its first line: the
   * writer for that layout and a note saying what it leaves out; null when the line is no such layout.
   */
  olderLayout?(line: string): { writer: Pick<StreamingWriter, 'record'>; note: string } | null;
}

/** A document format's serialiser: the whole run at once. */
export interface DocumentWriter {
  document(run: RunInfo, records: readonly ResultRecord[]): string;
}

/** A spool batch as the pusher has it: its records, and their lines as stored. */
export interface BatchText {
  records: readonly ResultRecord[];
  /** The lines of `records`, byte for byte. */
  lines: readonly string[];
}

/** A pushable format's request body. */
export interface PushBody {
  body(batch: BatchText, opts: { timestamps: boolean; nowMs: number }): string;
}

type Registry = typeof FORMATS;
/** What a format's serialiser must provide, from its registry entry. */
type WriterOf<N extends AnyFormatName> = (Registry[N]['output'] extends true ? (Registry[N]['streaming'] extends true ? StreamingWriter : DocumentWriter) : unknown) &
  (Registry[N]['pushable'] extends true ? PushBody : unknown);
type Entry<N extends AnyFormatName> = Registry[N] & WriterOf<N>;

export type StreamingFormat = FormatInfo & StreamingWriter & { readonly streaming: true };

/**
 * Each format's serialiser is `serialiser` in src/output/formats/<name>.ts, found by the name:
 * adding a format is that file and its registry entry (test/e2e/format-registry.test.ts checks that
 * every serialiser provides what its entry promises). The comment in the import keeps vitest from
 * resolving the name when it transforms this file; Node resolves it when it runs.
 */
const serialisers = await Promise.all(
  ALL_FORMAT_NAMES.map(async (name) => ({ name, serialiser: ((await import(/* @vite-ignore */ `./formats/${name}.js`)) as { serialiser: object }).serialiser })),
);

export const formats = Object.fromEntries(serialisers.map(({ name, serialiser }) => [name, { ...FORMATS[name], ...serialiser }])) as {
  readonly [N in AnyFormatName]: Entry<N>;
};

export { ALL_FORMAT_NAMES, FORMAT_NAMES, isFormatName, type FormatName };
