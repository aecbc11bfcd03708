/**
 * Where a run's records go. The output file or stdout (sink.ts), the spool (spool/spool.ts) and
 * node_exporter's textfile (sink.ts textfileSink) are each a RecordSink, and the measuring path
 * (cli/execute.ts) writes every record to a list of them. Each sink keeps its own durability
 * rules (O_APPEND whole records, temp + fsync + rename, locks); the list only sees to it that a
 * sink that fails (a full disk) gets no more records while the others keep theirs.
 */
import type { ResultRecord } from '../core/schema.js';
import type { RunInfo } from './formats.js';

export interface RecordSink {
  /** One record, written whole or not at all. Throws (QosError OUTPUT_FAILED) when it cannot be. */
  write(r: ResultRecord): void;
  /** Finish: fsync and close, write the document, commit the spool batch. Throws when that fails. */
  close(run: RunInfo): void;
  /** Give up after a failure: leave no partial document or batch behind, release locks and files. Never throws. */
  abort(): void;
  /** Records written so far. */
  readonly count: number;
}

export interface SinkEntry {
  sink: RecordSink;
  /** The sink's first failure, when it happened (a write, or its close): it gets no more records after it. */
  onError(err: unknown, during: 'write' | 'close'): void;
}

export interface SinkList {
  /** Every record to every sink that has not failed, in list order. */
  write(r: ResultRecord): void;
  /** Close the sinks in list order; the failed ones are aborted instead. */
  close(run: RunInfo): void;
  /** The run itself failed: abort every sink. */
  abort(): void;
}

export function sinkList(entries: readonly SinkEntry[]): SinkList {
  const failed = new Set<RecordSink>();
  const fail = (e: SinkEntry, err: unknown, during: 'write' | 'close') => {
    failed.add(e.sink);
    e.onError(err, during);
  };
  return {
    write(r) {
      for (const e of entries) {
        if (failed.has(e.sink)) continue;
        try {
          e.sink.write(r);
        } catch (err) {
          fail(e, err, 'write');
        }
      }
    },
    close(run) {
      for (const e of entries) {
        if (failed.has(e.sink)) {
          e.sink.abort();
          continue;
        }
        try {
          e.sink.close(run);
        } catch (err) {
          fail(e, err, 'close');
        }
      }
    },
    abort() {
      for (const e of entries) e.sink.abort();
    },
  };
}
