/**
 * A group's time series while rows are read (HTML report): buckets of `widthMs` in flat typed
 * arrays, one entry per bucket in first-seen order. Why not an object per bucket: a month of
 * 3,000 sites made 400,000 of them on the main thread and as many again in every worker state
 * posted back, the largest part of the HTML report's peak memory (issue 23). When a group has
 * more than SERIES_MAX_POINTS buckets the width doubles and neighbours merge, so memory is
 * bounded per group. Sums are added in the same order as rows, merges and coarsening come, so
 * the means are the same to the last bit whatever the layout.
 */

export const SERIES_MAX_POINTS = 240;
export const SERIES_START_WIDTH_MS = 60_000;

/** A SeriesAcc as plain data (what a worker posts): per bucket t, ok, records, then sum and n of each slot. */
export interface SeriesState {
  widthMs: number;
  size: number;
  data: Float64Array;
}

export class SeriesAcc {
  widthMs = SERIES_START_WIDTH_MS;
  size = 0;
  /** Per bucket: its start (ms), ok records, records. */
  t: Float64Array;
  ok: Float64Array;
  records: Float64Array;
  /** Per bucket × slot: sum and count of the slot's metric values. */
  sum: Float64Array;
  n: Float64Array;
  /** The bucket the last row fell in: rows of a group mostly come in time order. */
  #last = -1;

  constructor(
    readonly slots: number,
    capacity = 16,
  ) {
    this.t = new Float64Array(capacity);
    this.ok = new Float64Array(capacity);
    this.records = new Float64Array(capacity);
    this.sum = new Float64Array(capacity * slots);
    this.n = new Float64Array(capacity * slots);
  }

  /** Index of the bucket with key k (start k × widthMs), or -1. */
  find(k: number): number {
    const start = k * this.widthMs;
    if (this.#last !== -1 && this.t[this.#last] === start) return this.#last;
    for (let i = this.size - 1; i >= 0; i--) if (this.t[i] === start) return (this.#last = i);
    return -1;
  }

  /** A new bucket at `start`, zero counts. */
  #append(start: number): number {
    if (this.size === this.t.length) this.#grow();
    const i = this.size++;
    this.t[i] = start;
    return (this.#last = i);
  }

  #grow(): void {
    const cap = this.t.length * 2;
    const more = (a: Float64Array, n: number): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.t = more(this.t, cap);
    this.ok = more(this.ok, cap);
    this.records = more(this.records, cap);
    this.sum = more(this.sum, cap * this.slots);
    this.n = more(this.n, cap * this.slots);
  }

  /** The bucket of a row that started at tMs (added, after coarsening when the group is full). */
  bucket(tMs: number): number {
    let i = this.find(Math.floor(tMs / this.widthMs));
    if (i !== -1) return i;
    if (this.size >= SERIES_MAX_POINTS) this.coarsen();
    const k = Math.floor(tMs / this.widthMs);
    i = this.find(k);
    return i !== -1 ? i : this.#append(k * this.widthMs);
  }

  /** Double the width: buckets merge into the first of theirs in first-seen order. */
  coarsen(): void {
    const { t, ok, records, sum, n, size, slots } = this;
    this.widthMs *= 2;
    this.size = 0;
    this.#last = -1;
    this.t = new Float64Array(t.length);
    this.ok = new Float64Array(t.length);
    this.records = new Float64Array(t.length);
    this.sum = new Float64Array(t.length * slots);
    this.n = new Float64Array(t.length * slots);
    for (let j = 0; j < size; j++) this.#add(Math.floor((t[j] as number) / this.widthMs), ok[j] as number, records[j] as number, sum, n, j * slots);
  }

  /** Add one bucket's counts (sums from `sum`/`n` at `at`) to the bucket with key k. */
  #add(k: number, ok: number, records: number, sum: Float64Array, n: Float64Array, at: number): void {
    let i = this.find(k);
    if (i === -1) i = this.#append(k * this.widthMs);
    (this.ok[i] as number) += ok;
    (this.records[i] as number) += records;
    const s = this.slots;
    for (let x = 0; x < s; x++) {
      (this.sum[i * s + x] as number) += sum[at + x] as number;
      (this.n[i * s + x] as number) += n[at + x] as number;
    }
  }

  state(): SeriesState {
    const w = 3 + 2 * this.slots;
    const data = new Float64Array(this.size * w);
    for (let i = 0; i < this.size; i++) {
      data[i * w] = this.t[i] as number;
      data[i * w + 1] = this.ok[i] as number;
      data[i * w + 2] = this.records[i] as number;
      for (let x = 0; x < this.slots; x++) {
        data[i * w + 3 + 2 * x] = this.sum[i * this.slots + x] as number;
        data[i * w + 4 + 2 * x] = this.n[i * this.slots + x] as number;
      }
    }
    return { widthMs: this.widthMs, size: this.size, data };
  }

  /** Add the buckets of a series over later rows, at the coarser of the two widths. */
  merge(o: SeriesState): void {
    while (this.widthMs < o.widthMs) this.coarsen();
    const w = 3 + 2 * this.slots;
    const sum = new Float64Array(this.slots);
    const n = new Float64Array(this.slots);
    for (let j = 0; j < o.size; j++) {
      for (let x = 0; x < this.slots; x++) {
        sum[x] = o.data[j * w + 3 + 2 * x] as number;
        n[x] = o.data[j * w + 4 + 2 * x] as number;
      }
      this.#add(Math.floor((o.data[j * w] as number) / this.widthMs), o.data[j * w + 1] as number, o.data[j * w + 2] as number, sum, n, 0);
    }
    while (this.size > SERIES_MAX_POINTS) this.coarsen();
  }
}
