/**
 * A streaming quantile sketch: exact count, sum, min and max; type 7 quantiles (docs/metrics.md)
 * exact for the first EXACT_LIMIT values, then from DDSketch-style log buckets whose quantiles
 * are within SKETCH_RELATIVE_ERROR (0.5 %) of the exact ones. Pure: memory is bounded by
 * EXACT_LIMIT and the range of the values, never by their number. Used by `qosprobe report`.
 */
import { quantileSorted } from './summary.js';

/** Values kept exactly per metric and group before switching to the histogram. */
export const EXACT_LIMIT = 1024;
/** Relative error bound of a histogram quantile (DDSketch-style log buckets). */
export const SKETCH_RELATIVE_ERROR = 0.005;
const GAMMA = (1 + SKETCH_RELATIVE_ERROR) / (1 - SKETCH_RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);

/** A QuantileAccumulator's content as plain data (QuantileAccumulator.state, merge). */
export interface SketchState {
  n: number;
  sum: number;
  min: number;
  max: number;
  /** The values while they are held exactly, else null. */
  exact: Float64Array | null;
  zeros: number;
  /** Per occupied bucket: index, count, smallest, largest; null while exact. */
  buckets: Float64Array | null;
}

/** One occupied bucket: how many values it received, and the smallest and largest of them. */
class Bin {
  n = 1;
  lo: number;
  hi: number;
  constructor(x: number) {
    this.lo = x;
    this.hi = x;
  }
}

/**
 * A stream of non-negative numbers: exact count, sum, min and max; type 7 quantiles exact up to
 * EXACT_LIMIT values, then from log buckets (bucket k holds (γ^(k−1), γ^k], represented by
 * 2γ^k/(γ+1) clamped to the smallest and largest value the bucket received, within ±α of every
 * value in it; zeros are counted exactly). A bucket that received one distinct value gives that
 * value exactly: a loss of exactly 100 everywhere in the tail prints 100, not 99.986.
 */
export class QuantileAccumulator {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  #exact: Float64Array | null = new Float64Array(16);
  #zeros = 0;
  #buckets: Map<number, Bin> | null = null;

  add(x: number): void {
    this.n++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const ex = this.#exact;
    if (ex !== null) {
      if (this.n <= ex.length) {
        ex[this.n - 1] = x;
        return;
      }
      if (this.n <= EXACT_LIMIT) {
        const grown = new Float64Array(Math.min(ex.length * 2, EXACT_LIMIT));
        grown.set(ex);
        grown[this.n - 1] = x;
        this.#exact = grown;
        return;
      }
      // Past the limit: move the exact values into buckets and continue there.
      this.#buckets = new Map();
      for (let i = 0; i < ex.length; i++) this.#bucket(ex[i] as number);
      this.#exact = null;
    }
    this.#bucket(x);
  }

  #bucket(x: number): void {
    if (x <= 0) {
      this.#zeros++;
      return;
    }
    const k = Math.ceil(Math.log(x) / LOG_GAMMA);
    const m = this.#buckets as Map<number, Bin>;
    const b = m.get(k);
    if (b === undefined) m.set(k, new Bin(x));
    else {
      b.n++;
      if (x < b.lo) b.lo = x;
      else if (x > b.hi) b.hi = x;
    }
  }

  /** True while every value is held exactly (quantiles are exact). */
  get exact(): boolean {
    return this.#exact !== null;
  }

  mean(): number | null {
    return this.n === 0 ? null : this.sum / this.n;
  }

  /** Type 7 quantiles for each p (one pass over the buckets for all of them). */
  quantiles(ps: readonly number[]): (number | null)[] {
    if (this.n === 0) return ps.map(() => null);
    if (this.#exact !== null) {
      // A typed array sorts numerically in native code, several times faster than a comparator (values are never NaN or -0).
      const sorted = this.#exact.slice(0, this.n).sort();
      return ps.map((p) => quantileSorted(sorted, p));
    }
    // Order statistics by 0-based rank from the buckets; type 7 interpolates between two of them.
    const keys = [...(this.#buckets as Map<number, Bin>).keys()].sort((a, b) => a - b);
    const bins = keys.map((k) => (this.#buckets as Map<number, Bin>).get(k) as Bin);
    const orderStat = (rank: number): number => {
      if (rank <= 0) return this.min;
      if (rank >= this.n - 1) return this.max;
      if (rank < this.#zeros) return 0;
      let seen = this.#zeros;
      for (let i = 0; i < keys.length; i++) {
        const b = bins[i] as Bin;
        seen += b.n;
        if (rank < seen) {
          const v = (2 * GAMMA ** (keys[i] as number)) / (GAMMA + 1);
          return Math.min(Math.max(v, b.lo), b.hi);
        }
      }
      return this.max;
    };
    return ps.map((p) => {
      const h = (this.n - 1) * p;
      const lo = Math.floor(h);
      const a = orderStat(lo);
      return h === lo ? a : a + (h - lo) * (orderStat(lo + 1) - a);
    });
  }

  /** Everything the accumulator holds, as plain data a worker thread can post (structured clone). */
  state(): SketchState {
    let buckets: Float64Array | null = null;
    if (this.#buckets !== null) {
      buckets = new Float64Array(this.#buckets.size * 4);
      let i = 0;
      for (const [k, b] of this.#buckets) buckets.set([k, b.n, b.lo, b.hi], 4 * i++);
    }
    return { n: this.n, sum: this.sum, min: this.min, max: this.max, exact: this.#exact?.slice(0, this.n) ?? null, zeros: this.#zeros, buckets };
  }

  /**
   * Add what another accumulator holds. Its exact values are added one by one, so while they are
   * exact the result is the same, bit for bit, as adding its values here in their order; its
   * buckets are merged (counts added, smallest and largest kept), and the sum then adds in
   * another order, which can differ from a sequential sum in the last bits.
   */
  merge(o: SketchState): void {
    if (o.exact !== null) {
      for (let i = 0; i < o.n; i++) this.add(o.exact[i] as number);
      return;
    }
    if (o.n === 0) return;
    if (this.#exact !== null) {
      // Move the exact values into buckets, as add() does past EXACT_LIMIT.
      const ex = this.#exact;
      this.#buckets = new Map();
      for (let i = 0; i < this.n; i++) this.#bucket(ex[i] as number);
      this.#exact = null;
    }
    const m = this.#buckets as Map<number, Bin>;
    const ob = o.buckets as Float64Array;
    for (let i = 0; i < ob.length; i += 4) {
      const k = ob[i] as number;
      const b = m.get(k);
      if (b === undefined) {
        const nb = new Bin(ob[i + 2] as number);
        nb.n = ob[i + 1] as number;
        nb.hi = ob[i + 3] as number;
        m.set(k, nb);
      } else {
        b.n += ob[i + 1] as number;
        b.lo = Math.min(b.lo, ob[i + 2] as number);
        b.hi = Math.max(b.hi, ob[i + 3] as number);
      }
    }
    this.#zeros += o.zeros;
    this.n += o.n;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
  }

  /** Points of the empirical CDF, for charts: `points` + 1 quantiles from p = 0 to 1. */
  cdf(points = 100): { p: number; value: number }[] {
    if (this.n === 0) return [];
    const ps = Array.from({ length: points + 1 }, (_, i) => i / points);
    return this.quantiles(ps).map((v, i) => ({ p: ps[i] as number, value: v as number }));
  }
}
