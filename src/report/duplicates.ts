/**
 * Records that appear more than once across a report's inputs (one results file given twice,
 * results.csv beside the spool that sent the same records): a record is known by its run_id,
 * probe_id, endpoint, test, started_at and hop (a trace's hop rows share the rest), and counted
 * once. Memory is 8 bytes per record (a 64-bit hash of that identity in an open-addressing
 * table), never the records: two different records share a hash with a probability of about
 * n²/2⁶⁵ (3·10⁻⁸ for a million records).
 */
import type { ReportRow } from './read.js';

/** The identity hash of the last identify() call (module state: no allocation per record). */
let hashHi = 0;
let hashLo = 0;
let ha = 0;
let hb = 0;

/** The hash state after the text fields of the last identity hashed (identify()). */
let prefix: { runId: string | null; probeId: string | null; endpoint: string | null; test: string | null; ha: number; hb: number } = { runId: null, probeId: null, endpoint: null, test: null, ha: 0, hb: 0 };

function mix(s: string | null): void {
  let a = ha;
  let b = hb;
  if (s !== null)
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul((b ^ c) + (b >>> 13), 0x5bd1e995);
    }
  // A separator no field can hold alone, so ("ab", "c") and ("a", "bc") differ.
  ha = Math.imul(a ^ 0x1f, 0x01000193);
  hb = Math.imul((b ^ 0x1f) + (b >>> 13), 0x5bd1e995);
}

function mixWord(w: number): void {
  ha = Math.imul(ha ^ w, 0x01000193);
  hb = Math.imul((hb ^ w) + (hb >>> 15), 0x5bd1e995);
}

/**
 * Hash a record's identity into (hi, lo), both non-zero-lo 32-bit words, read by identityHi() and
 * identityLo(). False for a record without a run_id: it cannot be identified.
 */
export function identify(r: ReportRow): boolean {
  if (r.runId === null) return false;
  // The rows of a run follow each other: their text fields are hashed once, then the state is taken up again.
  if (r.runId === prefix.runId && r.probeId === prefix.probeId && r.endpoint === prefix.endpoint && r.test === prefix.test) {
    ha = prefix.ha;
    hb = prefix.hb;
  } else {
    ha = 0x811c9dc5;
    hb = 0x9747b28c;
    mix(r.runId);
    mix(r.probeId);
    mix(r.endpoint);
    mix(r.test);
    prefix = { runId: r.runId, probeId: r.probeId, endpoint: r.endpoint, test: r.test, ha, hb };
  }
  const t = r.startedAtMs;
  mixWord(t >>> 0);
  mixWord(Math.floor(t / 0x100000000) >>> 0);
  mixWord(r.hop === null ? 0xffffffff : r.hop >>> 0);
  hashHi = fmix(ha) >>> 0;
  hashLo = (fmix(hb ^ hashHi) || 1) >>> 0; // (hi, 0) would read as an empty slot
  return true;
}
export const identityHi = (): number => hashHi;
export const identityLo = (): number => hashLo;

export class DuplicateFilter {
  /** Slot k is (hi, lo) at [2k, 2k + 1]: one cache line per probe (two arrays cost two misses each, most of a report's merging time). */
  #t = new Uint32Array(2 << 12);
  #size = 0;

  /**
   * True the first time a record's identity is seen, false for a duplicate. A record without a
   * run_id cannot be identified (it is not a qosprobe record of schema v1): always true.
   */
  firstTime(r: ReportRow): boolean {
    return identify(r) ? this.insert(hashHi, hashLo) : true;
  }

  /** Whether an identity hash (lo ≠ 0) is in the set. */
  has(hi: number, lo: number): boolean {
    const t = this.#t;
    const mask = (t.length >>> 1) - 1;
    for (let i = (hi ^ lo) & mask; ; i = (i + 1) & mask) {
      const l = t[2 * i + 1] as number;
      if (l === 0) return false;
      if (l === lo && t[2 * i] === hi) return true;
    }
  }

  /** Add an identity hash (lo ≠ 0); false when it was there already. */
  insert(hi: number, lo: number): boolean {
    // Grown at three quarters full: a month of a fleet (1.08M records) fits 2^21 slots (16 MB), not 2^22 (32 MB, 48 MB while growing).
    if (4 * (this.#size + 1) > 3 * (this.#t.length >>> 1)) this.#grow();
    const t = this.#t;
    const mask = (t.length >>> 1) - 1;
    for (let i = (hi ^ lo) & mask; ; i = (i + 1) & mask) {
      const l = t[2 * i + 1] as number;
      if (l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        this.#size++;
        return true;
      }
      if (l === lo && t[2 * i] === hi) return false;
    }
  }

  /** Take out an identity hash that insert() added (backward-shift deletion keeps every other hash findable). */
  remove(hi: number, lo: number): void {
    const t = this.#t;
    const mask = (t.length >>> 1) - 1;
    let i = (hi ^ lo) & mask;
    for (; ; i = (i + 1) & mask) {
      const l = t[2 * i + 1] as number;
      if (l === 0) return;
      if (l === lo && t[2 * i] === hi) break;
    }
    // Move back each later entry of the run whose home slot does not lie cyclically in (i, j].
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const l = t[2 * j + 1] as number;
      if (l === 0) break;
      const home = ((t[2 * j] as number) ^ l) & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      t[2 * i] = t[2 * j] as number;
      t[2 * i + 1] = l;
      i = j;
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    this.#size--;
  }

  #grow(): void {
    const old = this.#t;
    this.#t = new Uint32Array(old.length * 2);
    this.#size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i] as number, old[i + 1] as number);
  }
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
