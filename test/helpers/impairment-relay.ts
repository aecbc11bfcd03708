/**
 * Test-only UDP relay placed between a STAMP sender and a reflector. It applies a seeded,
 * per-direction schedule (delay, drop, duplicate, extra delay for reordering or lateness)
 * and records exactly what it did: the delay it actually applied to each packet (release
 * time − arrival time, on the monotonic clock), so tests compare the probe's figures with
 * what happened, not with what was merely planned.
 *
 * Packets are identified by the sender's sequence number (octets 0–3 going up, the copy in
 * octets 24–27 coming back: RFC 8762 §4.2.1/§4.3.1), read here with raw offsets.
 * Like a real FIFO queue, the relay keeps packets in order unless the schedule explicitly
 * lets one overtake (reorder, late): jitter alone never reorders, even if the event loop stalls
 * (a due packet releases every packet queued before it, in order, whichever timer fires first).
 * A reordered packet is held until its successor has gone out (an event, not a delay that a
 * stalled sender could outlast), so a scheduled reorder is exactly one reorder on any host.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export interface Action {
  delayMs: number;
  drop: boolean;
  duplicate: boolean;
  /** Leave the FIFO: later packets do not wait for this one (used for reordering and late packets). */
  overtake: boolean;
  /** Held until the next packet in this direction has been released (then sent after it): one reorder, whatever the timing. */
  afterNext?: boolean;
}

export type Dir = 'up' | 'down';

export interface Schedule {
  up(seq: number): Action;
  down(seq: number): Action;
}

export interface ScheduleEvents {
  upDrops: number[];
  downDrops: number[];
  upDups: number[];
  downDups: number[];
  /** Held back long enough for the next packet to overtake it. */
  reorders: number[];
  /** Held back beyond the loss threshold. */
  lates: number[];
}

export interface ScheduleOptions {
  seed: number;
  count: number;
  /** Constant delay per direction. */
  baseDelayMs: number;
  /** Uniform extra delay in [0, jitterMs) per direction and packet. */
  jitterMs: number;
  events: { [K in keyof ScheduleEvents]: number };
  /** Extra delay (going up) of a reordered packet; more than the send interval. */
  reorderExtraMs: number;
  /** Delay (coming back) of a late packet; more than the loss threshold. */
  lateDelayMs: number;
  /** The last this-many packets get no event (a late one must still arrive before the test ends). */
  tailClear: number;
}

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seeded schedule whose events are isolated: at least 3 sequence numbers apart and never in
 * the first 2 or last `tailClear` packets, so each event has exactly one effect (one drop
 * loses one packet, one reorder makes exactly one packet arrive after its successor).
 */
export function makeSchedule(o: ScheduleOptions): { schedule: Schedule; events: ScheduleEvents } {
  const rnd = prng(o.seed);
  const upDelay = Array.from({ length: o.count }, () => o.baseDelayMs + rnd() * o.jitterMs);
  const downDelay = Array.from({ length: o.count }, () => o.baseDelayMs + rnd() * o.jitterMs);
  const taken = new Set<number>();
  const free = (s: number) => s >= 2 && s < o.count - o.tailClear && ![-2, -1, 0, 1, 2].some((d) => taken.has(s + d));
  const events: ScheduleEvents = { upDrops: [], downDrops: [], upDups: [], downDups: [], reorders: [], lates: [] };
  for (const kind of Object.keys(events) as (keyof ScheduleEvents)[]) {
    for (let i = 0; i < o.events[kind]; i++) {
      let s: number;
      let tries = 0;
      do {
        s = Math.floor(rnd() * o.count);
        if (++tries > 10_000) throw new Error('schedule: too many events for the packet count');
      } while (!free(s));
      taken.add(s);
      events[kind].push(s);
    }
  }
  const has = (k: keyof ScheduleEvents, s: number) => events[k].includes(s);
  const schedule: Schedule = {
    up: (s) => ({
      delayMs: (upDelay[s] ?? o.baseDelayMs) + (has('reorders', s) ? o.reorderExtraMs : 0),
      drop: has('upDrops', s),
      duplicate: has('upDups', s),
      overtake: has('reorders', s),
      afterNext: has('reorders', s),
    }),
    down: (s) => ({
      delayMs: has('lates', s) ? o.lateDelayMs : (downDelay[s] ?? o.baseDelayMs),
      drop: has('downDrops', s),
      duplicate: has('downDups', s),
      overtake: has('lates', s),
    }),
  };
  return { schedule, events };
}

export const NO_IMPAIRMENT: Schedule = {
  up: () => ({ delayMs: 0, drop: false, duplicate: false, overtake: false }),
  down: () => ({ delayMs: 0, drop: false, duplicate: false, overtake: false }),
};

export interface Relay {
  /** Where the sender should send (127.0.0.1). */
  port: number;
  /** Delay actually applied to the first copy of each packet, by sender sequence number. */
  applied: Record<Dir, Map<number, number>>;
  /** Datagrams forwarded (copies included) and dropped, per direction. */
  forwarded: Record<Dir, number>;
  dropped: Record<Dir, number>;
  close(): Promise<void>;
}

export async function startRelay(reflectorPort: number, schedule: Schedule): Promise<Relay> {
  const front: Socket = createSocket('udp4');
  const back: Socket = createSocket('udp4');
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => back.connect(reflectorPort, '127.0.0.1', () => r()));
  let sender: { address: string; port: number } | null = null;
  const applied: Record<Dir, Map<number, number>> = { up: new Map(), down: new Map() };
  const forwarded: Record<Dir, number> = { up: 0, down: 0 };
  const dropped: Record<Dir, number> = { up: 0, down: 0 };
  const fifoTail: Record<Dir, number> = { up: 0, down: 0 };
  /** Packets not yet released that keep their order, oldest first. */
  const fifo: Record<Dir, { release: () => void }[]> = { up: [], down: [] };
  /** Packets waiting for a later one to be released (Action.afterNext). */
  const behind: Record<Dir, { seq: number; release: () => void }[]> = { up: [], down: [] };
  const timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  let closed = false;

  const emit = (dir: Dir, msg: Buffer) => {
    if (closed) return;
    forwarded[dir]++;
    if (dir === 'up') back.send(msg);
    else if (sender) front.send(msg, sender.port, sender.address);
  };

  const handle = (dir: Dir, msg: Buffer, seq: number) => {
    const arrival = performance.now();
    const a = dir === 'up' ? schedule.up(seq) : schedule.down(seq);
    if (a.drop) {
      dropped[dir]++;
      return;
    }
    let due = arrival + a.delayMs;
    const release = () => {
      if (!applied[dir].has(seq)) applied[dir].set(seq, performance.now() - arrival);
      emit(dir, msg);
      if (a.duplicate) emit(dir, msg);
      // Whatever waited for a later packet goes now, right after it.
      const waiting = behind[dir].filter((b) => b.seq < seq);
      behind[dir] = behind[dir].filter((b) => b.seq >= seq);
      for (const b of waiting) b.release();
    };
    if (a.afterNext) {
      at(due, () => behind[dir].push({ seq, release }));
      return;
    }
    if (a.overtake) return at(due, release);
    due = Math.max(due, fifoTail[dir]);
    fifoTail[dir] = due;
    const entry = { release };
    fifo[dir].push(entry);
    at(due, () => {
      // Release everything queued up to this packet, in order: timers that fire out of order under load cannot reorder.
      const i = fifo[dir].indexOf(entry);
      if (i < 0) return;
      for (const e of fifo[dir].splice(0, i + 1)) e.release();
    });
  };

  // setTimeout alone is ~1 ms coarse: sleep until just before the due time, then spin on setImmediate.
  const at = (due: number, fn: () => void) => {
    const step = () => {
      if (closed) return;
      const left = due - performance.now();
      if (left <= 0) return fn();
      const t = left > 2 ? setTimeout(() => (timers.delete(t), step()), left - 2) : setImmediate(() => (timers.delete(t), step()));
      timers.add(t);
    };
    step();
  };

  front.on('message', (msg, rinfo) => {
    sender = { address: rinfo.address, port: rinfo.port };
    if (msg.length < 4) return emit('up', msg);
    handle('up', msg, msg.readUInt32BE(0));
  });
  back.on('message', (msg) => {
    if (msg.length < 28) return emit('down', msg);
    handle('down', msg, msg.readUInt32BE(24));
  });

  return {
    port: (front.address() as { port: number }).port,
    applied,
    forwarded,
    dropped,
    close: async () => {
      closed = true;
      for (const t of timers) {
        clearTimeout(t as NodeJS.Timeout);
        clearImmediate(t as NodeJS.Immediate);
      }
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
    },
  };
}
