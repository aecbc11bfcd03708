import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMtrJson, parseMtrRaw, parsePathping, parseTraceroute, parseTracert, type TraceHop, type TraceParsed, type TraceReport } from '../../src/net/trace-parse.js';

const fx = (name: string) => readFileSync(join(import.meta.dirname, '../..', 'fixtures', 'trace', name), 'utf8');

function hopsOf(p: TraceParsed): TraceHop[] {
  if (p.status !== 'parsed') throw new Error(`unparseable: ${p.reason}`);
  return p.hops;
}
function reportOf(p: TraceReport) {
  if (p.status !== 'parsed') throw new Error(`unparseable: ${p.reason}`);
  return p.hops;
}
/** [hop, address, answered, sent] per hop. */
const shape = (hs: TraceHop[]) => hs.map((h) => [h.hop, h.addresses[0] ?? null, h.probes.filter((p) => p.rttMs !== null).length, h.probes.length]);

describe('mtr --raw', () => {
  it('clean lab path: 4 hops, every probe answered, µs → ms', () => {
    const hs = hopsOf(parseMtrRaw(fx('mtr-raw-lab-clean.txt')));
    expect(shape(hs).slice(0, 4)).toEqual([
      [1, '10.77.80.1', 5, 5],
      [2, '10.77.81.2', 5, 5],
      [3, '10.77.82.2', 5, 5],
      [4, '10.77.83.2', 5, 5],
    ]);
    // `p 0 591 33000`: 591 µs
    expect(hs[0]!.probes[0]!.rttMs).toBe(0.591);
    // mtr's first round also probed TTL 5, past the target (the probe drops it, not the parser)
    expect(hs[4]!.addresses).toEqual(['10.77.83.2']);
  });

  it('loss at hop 2: the per-hop losses are those the nft counters counted (7, 5, 9 of 50)', () => {
    const hs = hopsOf(parseMtrRaw(fx('mtr-raw-lab-loss-at-hop2.txt')));
    expect(shape(hs).slice(0, 4)).toEqual([
      [1, '10.77.80.1', 50, 50],
      [2, '10.77.81.2', 43, 50],
      [3, '10.77.82.2', 45, 50],
      [4, '10.77.83.2', 41, 50],
    ]);
  });

  it('a silent router: probes sent, no h line, no answers', () => {
    const hs = hopsOf(parseMtrRaw(fx('mtr-raw-lab-silent-hop2.txt')));
    expect(shape(hs).slice(0, 4)).toEqual([
      [1, '10.77.80.1', 5, 5],
      [2, null, 0, 5],
      [3, '10.77.82.2', 5, 5],
      [4, '10.77.83.2', 5, 5],
    ]);
  });

  it('IPv6 loopback', () => {
    const hs = hopsOf(parseMtrRaw(fx('mtr-raw-ipv6-loopback.txt')));
    expect(hs[0]).toMatchObject({ hop: 1, addresses: ['::1'] });
    expect(hs[0]!.probes).toHaveLength(3);
  });

  it('replies to unknown or other hops\' sequence numbers, and duplicates, are ignored', () => {
    const hs = hopsOf(parseMtrRaw('x 0 1\nh 0 10.77.80.1\np 0 100 1\np 0 200 1\np 1 300 1\np 0 50 99\n'));
    expect(hs[0]!.probes).toEqual([{ rttMs: 0.1, address: '10.77.80.1', unreachable: null }]);
  });

  it('not mtr: unparseable', () => {
    expect(parseMtrRaw('mtr: non-root users cannot request an interval < 1.0 seconds\n').status).toBe('unparseable');
  });
});

describe('traceroute', () => {
  it('Linux, rate-limited first hop: `* * *` after two answers on one line', () => {
    const hs = hopsOf(parseTraceroute(fx('traceroute-lab-ratelimit-hop1.txt')));
    expect(shape(hs)).toEqual([
      [1, '10.77.80.1', 2, 5],
      [2, '10.77.81.2', 5, 5],
      [3, '10.77.82.2', 5, 5],
      [4, '10.77.83.2', 5, 5],
    ]);
    expect(hs[0]!.probes.map((p) => p.rttMs)).toEqual([0.05, 0.05, null, null, null]);
  });

  it('!H and !X flags mark the answer as an unreachable notice', () => {
    const h = hopsOf(parseTraceroute(fx('traceroute-lab-host-unreachable.txt')));
    expect(h[2]!.probes.map((p) => p.unreachable)).toEqual(['host_unreachable', 'host_unreachable', null]);
    const x = hopsOf(parseTraceroute(fx('traceroute-lab-prohibited.txt')));
    expect(x[2]!.probes[0]).toEqual({ rttMs: 0.184, address: '10.77.82.2', unreachable: 'prohibited' });
    const n = hopsOf(parseTraceroute(' 1  10.77.80.1  1.0 ms !N  1.1 ms !<10>  *\n'));
    expect(n[0]!.probes.map((p) => p.unreachable)).toEqual(['net_unreachable', 'unreachable', null]);
  });

  it('a silent hop: `* * *`', () => {
    expect(shape(hopsOf(parseTraceroute(fx('traceroute-lab-silent-hop2.txt'))))[1]).toEqual([2, null, 0, 3]);
  });

  it('names with addresses, several responders on one line (ECMP): per-probe addresses, most frequent first', () => {
    const hs = hopsOf(parseTraceroute(fx('traceroute-names-ecmp.txt')));
    expect(hs[0]!.addresses).toEqual(['10.77.80.1']);
    expect(hs[1]!.probes.map((p) => p.address)).toEqual(['10.77.81.2', '10.77.81.6', '10.77.81.2']);
    expect(hs[1]!.addresses).toEqual(['10.77.81.2', '10.77.81.6']);
    expect(hs[2]!.probes.map((p) => p.rttMs)).toEqual([null, 2.004, null]);
  });

  it('macOS layout', () => {
    expect(shape(hopsOf(parseTraceroute(fx('traceroute-macos-ipv4.txt'))))).toEqual([
      [1, '10.77.80.1', 3, 3],
      [2, '10.77.81.2', 3, 3],
      [3, null, 0, 3],
      [4, '10.77.83.2', 3, 3],
    ]);
  });

  it('a time before any address, or stray words: not a hop line', () => {
    expect(parseTraceroute(' 1  0.5 ms  0.4 ms\n').status).toBe('unparseable');
    expect(parseTraceroute(' 1  something went wrong\n').status).toBe('unparseable');
  });
});

describe('tracert (Windows)', () => {
  it('English: <1 ms is 0.5, a timed-out hop, a lossy target', () => {
    const p = parseTracert(fx('tracert-en-timeout-loss.txt'));
    expect(p).toMatchObject({ status: 'parsed', tool: 'tracert', resolutionMs: 1 });
    const hs = hopsOf(p);
    expect(shape(hs)).toEqual([
      [1, '10.77.80.1', 3, 3],
      [2, '10.77.81.2', 3, 3],
      [3, null, 0, 3],
      [4, '10.77.83.2', 2, 3],
    ]);
    expect(hs[0]!.probes[0]!.rttMs).toBe(0.5);
    expect(hs[3]!.probes.map((p) => p.rttMs)).toEqual([14, null, 15]);
  });

  it('English: names in brackets, "reports: Destination net unreachable."', () => {
    const hs = hopsOf(parseTracert(fx('tracert-en-names-net-unreachable.txt')));
    expect(hs[0]!.addresses).toEqual(['10.77.80.1']);
    expect(hs[2]).toEqual({ hop: 3, probes: [], addresses: ['10.77.81.2'], unreachable: 'net_unreachable' });
  });

  it('Indonesian: "Waktu permintaan habis." and "melaporkan: Host tujuan tidak dapat dijangkau."', () => {
    expect(shape(hopsOf(parseTracert(fx('tracert-id-timeout.txt'))))).toEqual([
      [1, '10.77.80.1', 3, 3],
      [2, '10.77.81.2', 3, 3],
      [3, null, 0, 3],
      [4, '10.77.83.2', 3, 3],
    ]);
    const u = hopsOf(parseTracert(fx('tracert-id-host-unreachable.txt')));
    expect(u[2]).toMatchObject({ hop: 3, addresses: ['10.77.82.2'], unreachable: 'host_unreachable' });
  });

  it('IPv6', () => {
    expect(hopsOf(parseTracert(fx('tracert-en-ipv6.txt'))).map((h) => h.addresses[0])).toEqual(['fd77:80::1', 'fd77:81::2']);
  });
});

describe('aggregate reports', () => {
  it('mtr --json: ??? is a hop that never answered, its zero times are not times', () => {
    const hs = reportOf(parseMtrJson(fx('mtr-json-lab-silent-hop2.json')));
    expect(hs.map((h) => [h.hop, h.address, h.lossPercent])).toEqual([
      [1, '10.77.80.1', 0],
      [2, null, 100],
      [3, '10.77.82.2', 0],
      [4, '10.77.83.2', 0],
    ]);
    expect(hs[1]).toMatchObject({ sent: 5, bestMs: null, avgMs: null });
  });

  it('mtr --json: rate-limited first hop', () => {
    const hs = reportOf(parseMtrJson(fx('mtr-json-lab-ratelimit-hop1.json')));
    expect(hs[0]!.lossPercent).toBeGreaterThan(50);
    expect(hs.slice(1).map((h) => h.lossPercent)).toEqual([0, 0, 0]);
  });

  it('mtr --json: not JSON, no hubs', () => {
    expect(parseMtrJson('{"report":{}}').status).toBe('unparseable');
    expect(parseMtrJson('mtr: error').status).toBe('unparseable');
  });

  it('pathping: source-to-here loss and RTT per hop; --- and 0.0.0.0 for a silent hop (English, Indonesian)', () => {
    const hs = reportOf(parsePathping(fx('pathping-en-loss-at-hop2.txt')));
    expect(hs.map((h) => [h.hop, h.address, h.sent, h.lossPercent, h.avgMs])).toEqual([
      [1, '10.77.80.1', 100, 0, 0],
      [2, '10.77.81.2', 100, 19, 2],
      [3, '10.77.82.2', 100, 21, 3],
      [4, '10.77.83.2', 100, 20, 4],
    ]);
    const id = reportOf(parsePathping(fx('pathping-id-silent-hop.txt')));
    expect(id.map((h) => [h.hop, h.address, h.lossPercent, h.avgMs])).toEqual([
      [1, '10.77.80.1', 0, 1],
      [2, null, 100, null],
    ]);
  });
});

describe('hostile input (property tests)', () => {
  const anyText = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc.array(fc.oneof(fc.constantFrom('x', 'h', 'p', '*', 'ms', '!H', '<1', '(', ')', '[', ']', ':', '\n', '\r\n', ' ', '  '), fc.nat({ max: 99999 }).map(String), fc.ipV4(), fc.ipV6()), { maxLength: 80 }).map((a) => a.join(' ')),
  );
  const parsers = { parseMtrRaw, parseTraceroute, parseTracert };

  it.each(Object.entries(parsers))('%s: never throws; hops numbered 1..n, probes with finite non-negative RTTs or null', (_n, parse) => {
    fc.assert(
      fc.property(anyText, (text) => {
        const p = parse(text);
        if (p.status === 'unparseable') return;
        p.hops.forEach((h, i) => {
          expect(h.hop).toBe(i + 1);
          for (const pr of h.probes) if (pr.rttMs !== null) expect(Number.isFinite(pr.rttMs) && pr.rttMs >= 0).toBe(true);
        });
      }),
      { numRuns: 400 },
    );
  });

  it('traceroute: generated hop lines round-trip (hop, address, RTTs, stars)', () => {
    const probe = fc.option(fc.integer({ min: 0, max: 999999 }).map((n) => n / 1000), { nil: null });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.ipV4(), fc.array(probe, { minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 20 }), (rows) => {
        const text = rows
          .map(([ip, ps], i) => {
            const cells = ps.map((r, j) => (r === null ? '*' : `${j === ps.findIndex((x) => x !== null) ? `${ip}  ` : ''}${r.toFixed(3)} ms`));
            return ` ${String(i + 1).padStart(2)}  ${cells.join('  ')}`;
          })
          .join('\n');
        const hs = hopsOf(parseTraceroute(`traceroute to 10.77.83.2 (10.77.83.2), 30 hops max\n${text}\n`));
        expect(hs.map((h) => h.probes.map((p) => p.rttMs))).toEqual(rows.map(([, ps]) => ps));
        expect(hs.map((h) => h.addresses[0] ?? null)).toEqual(rows.map(([ip, ps]) => (ps.some((x) => x !== null) ? ip : null)));
      }),
      { numRuns: 200 },
    );
  });

  it('mtr --raw: generated runs round-trip (sent and answered per hop)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: null }), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 }), (hops) => {
        let seq = 33000;
        const lines: string[] = [];
        const rounds = Math.max(...hops.map((h) => h.length));
        for (let r = 0; r < rounds; r++)
          hops.forEach((h, i) => {
            if (r >= h.length) return;
            const s = seq++;
            lines.push(`x ${i} ${s}`);
            if (r === 0) lines.push(`h ${i} 10.77.80.${i + 1}`);
            if (h[r] !== null) lines.push(`p ${i} ${h[r]} ${s}`);
          });
        const parsed = hopsOf(parseMtrRaw(lines.join('\n')));
        expect(parsed.map((h) => h.probes.map((p) => p.rttMs))).toEqual(hops.map((h) => h.map((us) => (us === null ? null : us / 1000))));
      }),
      { numRuns: 200 },
    );
  });

  it('mtr --json and pathping never throw on garbage or on JSON of any shape', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.jsonValue().map((v) => JSON.stringify({ report: { hubs: [v, v] } }))), (text) => {
        for (const p of [parseMtrJson(text), parsePathping(text)]) {
          if (p.status === 'parsed') for (const h of p.hops) expect(h.lossPercent === null || (h.lossPercent >= 0 && h.lossPercent <= 100)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
