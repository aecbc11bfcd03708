/** Pure parts of field operations: schedules, mmcli, host info, monitoring formats, spool, lock wait, splay. */
import { readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { splayDelay } from '../../src/app/unattended.js';
import { QosError } from '../../src/core/errors.js';
import { gatherHostInfo, hostInfoFrom, type SiLike, type SiSnapshot } from '../../src/host/host-info.js';
import { cellInfoFromMmcli, parseMmcliKeyValues } from '../../src/host/mmcli.js';
import { escapeTag, influxLine } from '../../src/monitoring/influx.js';
import { openMetricsText } from '../../src/monitoring/openmetrics.js';
import { acquireLock, acquireLockWaiting } from '../../src/output/lock.js';
import { parseEvery } from '../../src/schedule/every.js';
import { cronLine, schtasksCommand, shQuote, systemdUnits, timing } from '../../src/schedule/generate.js';
import { defaultSpoolDir, runLockPath, stateDir } from '../../src/spool/paths.js';
import { batchName, listSpool, moveBatch, openSpoolWriter, parseBatchName, pruneSpool, readBatch, writeBatch } from '../../src/spool/spool.js';
import { monitoringRecord } from '../helpers/field-records.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = join(import.meta.dirname, '../..');
const fixture = (n: string) => readFileSync(join(ROOT, 'fixtures/mmcli', n), 'utf8');
const tmp = () => tempDir('qosprobe-unit-');

describe('schedule', () => {
  it.each([
    ['15m', 'minute', 15, 900],
    ['1h', 'hour', 1, 3600],
    ['6h', 'hour', 6, 21600],
    ['1d', 'day', 1, 86400],
    ['300s', 'minute', 5, 300],
    ['120', 'minute', 120, NaN], // bare number = minutes; 120 min is 2h
  ])('parseEvery(%s)', (s, unit, n, seconds) => {
    const r = parseEvery(s);
    if (s === '120') {
      expect(r).toEqual({ ok: true, every: { unit: 'hour', n: 2, seconds: 7200 } });
      return;
    }
    expect(r).toEqual({ ok: true, every: { unit, n, seconds } });
  });

  it.each(['7m', '45m', '5h', '2d', '0m', 'often', '15 parsecs'])('parseEvery(%s) is refused with the allowed list', (s) => {
    const r = parseEvery(s);
    expect(r.ok).toBe(false);
  });

  const every = (s: string) => {
    const r = parseEvery(s);
    if (!r.ok) throw new Error(r.reason);
    return r.every;
  };
  const input = { node: '/usr/bin/node', bin: '/opt/qosprobe/bin/qosprobe.js', config: '/etc/qosprobe/site 1.yaml' };

  it('timing: splay 10% (max 300 s), deadline before the next run starts', () => {
    // 900 s: splay 90, margin min(60, 45)=45 -> deadline 900-90-45 = 765
    expect(timing(every('15m'))).toEqual({ splaySeconds: 90, deadlineSeconds: 765 });
    // 86400 s: splay min(300, 8640)=300, margin 60 -> 86040
    expect(timing(every('1d'))).toEqual({ splaySeconds: 300, deadlineSeconds: 86040 });
  });

  it('cron: */15, absolute paths, quoted path with a space, stdout discarded', () => {
    expect(cronLine({ ...input, every: every('15m') })).toBe(
      "*/15 * * * * /usr/bin/node /opt/qosprobe/bin/qosprobe.js run --config '/etc/qosprobe/site 1.yaml' --quiet --splay 90 --deadline 765 >/dev/null",
    );
    expect(cronLine({ ...input, config: null, every: every('2h') })).toMatch(/^0 \*\/2 \* \* \* \/usr\/bin\/node \/opt\/qosprobe\/bin\/qosprobe.js run --quiet --splay/);
    expect(cronLine({ ...input, every: every('1d') })).toMatch(/^0 0 \* \* \* /);
  });

  it('cron escapes % (cron turns it into a newline) and single quotes', () => {
    expect(cronLine({ ...input, config: "/srv/it's 100%.yaml", every: every('5m') })).toContain("'/srv/it'\\''s 100\\%.yaml'");
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it('systemd: oneshot service with exit 6 as success; timer with OnCalendar and RandomizedDelaySec instead of --splay', () => {
    const u = systemdUnits({ ...input, every: every('15m') });
    expect(u.service).toContain('ExecStart=/usr/bin/node /opt/qosprobe/bin/qosprobe.js run --config "/etc/qosprobe/site 1.yaml" --quiet --deadline 765\n');
    expect(u.service).toContain('Type=oneshot');
    expect(u.service).toContain('SuccessExitStatus=6');
    expect(u.service).not.toContain('--splay');
    expect(u.timer).toContain('OnCalendar=*:0/15\n');
    expect(u.timer).toContain('RandomizedDelaySec=90\n');
    expect(u.timer).toContain('Persistent=true');
    expect(systemdUnits({ ...input, every: every('6h') }).timer).toContain('OnCalendar=0/6:00\n');
    expect(systemdUnits({ ...input, config: '/srv/100%.yaml', every: every('1d') }).service).toContain('/srv/100%%.yaml');
  });

  it('schtasks: MINUTE/HOURLY/DAILY with the node and script paths quoted inside /TR', () => {
    const win = { node: 'C:\\Program Files\\nodejs\\node.exe', bin: 'C:\\Users\\tek\\AppData\\Roaming\\npm\\node_modules\\qosprobe\\bin\\qosprobe.js', config: 'C:\\qos\\qosprobe.yaml' };
    const s = schtasksCommand({ ...win, every: every('15m') });
    expect(s.command).toBe(
      'schtasks /Create /F /TN "qosprobe" /SC MINUTE /MO 15 /TR "\\"C:\\Program Files\\nodejs\\node.exe\\" C:\\Users\\tek\\AppData\\Roaming\\npm\\node_modules\\qosprobe\\bin\\qosprobe.js run --config C:\\qos\\qosprobe.yaml --quiet --splay 90 --deadline 765"',
    );
    expect(schtasksCommand({ ...win, every: every('2h') }).command).toContain('/SC HOURLY /MO 2');
    expect(schtasksCommand({ ...win, every: every('1d') }).command).toContain('/SC DAILY /ST 00:00');
  });
});

describe('mmcli parser on recorded outputs', () => {
  it('LTE modem (EM12, Telkomsel), signal set up', () => {
    const c = cellInfoFromMmcli(fixture('em12-lte-modem.txt'), fixture('em12-lte-signal.txt'));
    expect(c).toEqual({ cell_operator: 'TELKOMSEL', cell_tech: 'lte', cell_rsrp_dbm: -93, cell_rsrq_db: -11, cell_sinr_db: 9.4, netPorts: ['wwan0'], state: 'connected' });
  });

  it('5G NSA (RM500Q, XL Axiata): both techs listed, the NR leg values win', () => {
    const c = cellInfoFromMmcli(fixture('rm500q-5g-nsa-modem.txt'), fixture('rm500q-5g-nsa-signal.txt'));
    expect(c).toMatchObject({ cell_operator: 'XL Axiata', cell_tech: 'lte+5gnr', cell_rsrp_dbm: -89, cell_rsrq_db: -11, cell_sinr_db: 14.5 });
  });

  it('registered on UMTS, operator name unknown: the MCC/MNC code instead; signal not set up: nulls', () => {
    const c = cellInfoFromMmcli(fixture('em12-umts-registered-modem.txt'), fixture('signal-not-setup.txt'));
    expect(c).toEqual({ cell_operator: '51089', cell_tech: 'umts', cell_rsrp_dbm: null, cell_rsrq_db: null, cell_sinr_db: null, netPorts: ['wwp0s20f0u3i4'], state: 'registered' });
  });

  it('lists: .value[N] collected in order, .length dropped; older comma-separated lists too', () => {
    const m = parseMmcliKeyValues(fixture('em12-lte-modem.txt'));
    expect(m.get('modem.generic.drivers')).toEqual(['option', 'qmi_wwan']);
    expect(m.has('modem.generic.drivers.length')).toBe(false);
    expect(cellInfoFromMmcli('modem.generic.access-technologies : umts, hsdpa\n', '').cell_tech).toBe('umts+hsdpa');
  });

  it('no modem at all (empty output): every field null', () => {
    expect(cellInfoFromMmcli('', '')).toEqual({ cell_operator: null, cell_tech: null, cell_rsrp_dbm: null, cell_rsrq_db: null, cell_sinr_db: null, netPorts: [], state: null });
  });
});

describe('host info', () => {
  const eth = { iface: 'eth0', ifaceName: 'eth0', default: true, ip4: '10.77.2.3', ip6: 'fe80::1', type: 'wired' } as SiSnapshot['interfaces'][number];
  const wlan = { iface: 'wlp2s0', ifaceName: 'wlp2s0', default: true, ip4: '10.77.1.20', ip6: '', type: 'wireless' } as SiSnapshot['interfaces'][number];
  const wwan = { iface: 'wwan0', ifaceName: 'wwan0', default: true, ip4: '10.77.64.2', ip6: '', type: 'wired' } as SiSnapshot['interfaces'][number];
  const wifi = { id: '1', iface: 'wlp2s0', model: '', ssid: 'KPU-TPS-017', bssid: 'AA:BB:CC:00:11:22', channel: 6, frequency: 2437, type: '802.11ac', security: 'WPA2', signalLevel: -61, quality: 78, txRate: 144 } as SiSnapshot['wifi'][number];

  it('wired', () => {
    expect(hostInfoFrom({ defaultIface: 'eth0', interfaces: [eth], gateway: '10.77.2.1', wifi: [] }, null)).toEqual({ net_iface: 'eth0', net_ip: '10.77.2.3', gateway: '10.77.2.1', net_type: 'wired' });
  });

  it('Wi-Fi: SSID, BSSID (lower case), signal dBm, quality, channel', () => {
    expect(hostInfoFrom({ defaultIface: 'wlp2s0', interfaces: [eth, wlan], gateway: '10.77.1.1', wifi: [wifi] }, null)).toEqual({
      net_iface: 'wlp2s0',
      net_ip: '10.77.1.20',
      gateway: '10.77.1.1',
      net_type: 'wireless',
      wifi_ssid: 'KPU-TPS-017',
      wifi_bssid: 'aa:bb:cc:00:11:22',
      wifi_signal_dbm: -61,
      wifi_quality: 78,
      wifi_channel: 6,
    });
  });

  it('cellular: the default interface is the modem net port; radio figures from mmcli', () => {
    const cell = cellInfoFromMmcli(fixture('em12-lte-modem.txt'), fixture('em12-lte-signal.txt'));
    expect(hostInfoFrom({ defaultIface: 'wwan0', interfaces: [eth, wwan], gateway: null, wifi: [] }, cell)).toMatchObject({
      net_iface: 'wwan0',
      net_type: 'cellular',
      cell_operator: 'TELKOMSEL',
      cell_rsrp_dbm: -93,
    });
    // A modem present but the traffic on Ethernet: its radio figures would mislead, so none.
    const onEth = hostInfoFrom({ defaultIface: 'eth0', interfaces: [eth, wwan], gateway: null, wifi: [] }, cell);
    expect(onEth.net_type).toBe('wired');
    expect(onEth.cell_operator).toBeUndefined();
  });

  const fakeSi = (delayMs: number, fail = false): SiLike => {
    const later = <T>(v: T) => new Promise<T>((res, rej) => setTimeout(() => (fail ? rej(new Error('boom')) : res(v)), delayMs));
    return {
      networkInterfaceDefault: () => later('eth0'),
      networkInterfaces: () => later([eth]),
      networkGatewayDefault: () => later('10.77.2.1'),
      wifiConnections: () => later([]),
    } as unknown as SiLike;
  };

  // The host's own routing table and clock tools stay out of these tests: systeminformation (faked) answers.
  const noRoute = async () => null;
  const noClock = async () => ({ clock_synced: null, clock_offset_ms: null, clock_source: null });

  it('gatherHostInfo: a slow systeminformation is cut at the timeout, empty columns, no throw', async () => {
    // On a fake clock (no host speed in it): the answer comes at the 150 ms timeout, not after the 5 s calls.
    vi.useFakeTimers();
    try {
      const t0 = Date.now();
      let info: unknown = null;
      void gatherHostInfo({ timeoutMs: 150, loadSi: async () => fakeSi(5000), platform: 'linux', mmcli: async () => '', route: noRoute, clock: noClock }).then((i) => (info = i));
      await vi.advanceTimersByTimeAsync(149);
      expect(info).toBeNull();
      await vi.advanceTimersByTimeAsync(1);
      // Empty columns, and the record says why (issue 25).
      expect(info).toEqual({ host_info_incomplete: 'timed out after 150 ms: interfaces' });
      expect(Date.now() - t0).toBe(150);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gatherHostInfo: every call failing, and mmcli missing: still no throw', async () => {
    const enoent = Object.assign(new Error('spawn mmcli ENOENT'), { code: 'ENOENT' });
    expect(await gatherHostInfo({ loadSi: async () => fakeSi(1, true), platform: 'linux', mmcli: async () => Promise.reject(enoent), route: noRoute, clock: noClock })).toEqual({});
    expect(await gatherHostInfo({ loadSi: async () => Promise.reject(new Error('no module')), route: noRoute, clock: noClock })).toEqual({});
  });

  it('gatherHostInfo: values flow through; mmcli asked on Linux for a non-Wi-Fi link', async () => {
    const asked: string[][] = [];
    const info = await gatherHostInfo({
      loadSi: async () => fakeSi(1),
      platform: 'linux',
      route: noRoute,
      clock: noClock,
      mmcli: async (args) => {
        asked.push(args);
        return '';
      },
    });
    expect(info).toEqual({ net_iface: 'eth0', net_ip: '10.77.2.3', gateway: '10.77.2.1', net_type: 'wired' });
    expect(asked).toEqual([
      ['-m', 'any', '-K'],
      ['-m', 'any', '--signal-get', '-K'],
    ]);
  });
});

describe('monitoring formats', () => {
  it('influx line: tags, typed fields, ns timestamp from started_at', () => {
    const r = monitoringRecord(2);
    // started_at 2026-11-24T08:02:00.250Z = 1795507320250 ms -> ns
    expect(influxLine(r)).toBe(
      'qosprobe,probe_id=bdg-tps-017,location_code=32.73,endpoint=jkt-0,test=tcp ' +
        'duration_ms=802,sent=20i,received=17i,loss_percent=15,rtt_min_ms=12.125,rtt_mean_ms=14.5,rtt_median_ms=14.25,rtt_p95_ms=22.75,rtt_max_ms=33,jitter_ms=1.5,status_ok=1i ' +
        '1795507320250000000',
    );
  });

  it('influx tag escaping: comma, equals, space escaped; newline and backslash made harmless', () => {
    expect(escapeTag('a,b=c d')).toBe('a\\,b\\=c\\ d');
    expect(escapeTag('x\ny\\')).toBe('x\\ y/'); // newline -> space -> escaped space
  });

  it('openmetrics: HELP/TYPE/UNIT per family, labels, EOF; null metrics omitted', () => {
    const text = openMetricsText([monitoringRecord(0)]);
    expect(text).toContain(
      '# HELP qosprobe_rtt_median_ms Median RTT (type 7 quantile, p = 0.5).\n# TYPE qosprobe_rtt_median_ms gauge\n# UNIT qosprobe_rtt_median_ms ms\n' +
        'qosprobe_rtt_median_ms{probe_id="bdg-tps-017",location_code="32.73",endpoint="jkt-0",test="tcp"} 12.25\n',
    );
    expect(text).toContain('# TYPE qosprobe_sent gauge\nqosprobe_sent{'); // no UNIT line: "sent" has no unit suffix
    expect(text).not.toContain('qosprobe_throughput_bps'); // null in this record
    expect(text).not.toContain('qosprobe_lat');
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    expect(text).toContain('qosprobe_started_at_seconds{probe_id="bdg-tps-017",location_code="32.73",endpoint="jkt-0",test="tcp"} 1795507200.25\n');
  });

  it('openmetrics: label values escaped; a repeated series keeps the later record', () => {
    const text = openMetricsText([monitoringRecord(0, { endpoint: 'a"b\\c\nd' }), monitoringRecord(2, { endpoint: 'a"b\\c\nd' })]);
    expect(text).toContain('endpoint="a\\"b\\\\c\\nd"');
    expect(text.match(/^qosprobe_rtt_median_ms\{/gm)).toHaveLength(1);
    expect(text).toContain('} 14.25\n');
  });
});

describe('spool', () => {
  it('state dir per platform', () => {
    expect(stateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }, 'linux')).toBe('/x/state/qosprobe');
    expect(stateDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/state/qosprobe');
    expect(defaultSpoolDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toMatch(/AppData.Local.qosprobe.spool$/);
    expect(runLockPath({ HOME: '/h' }, '/etc/a.yaml', 'linux')).not.toBe(runLockPath({ HOME: '/h' }, '/etc/b.yaml', 'linux'));
  });

  it('batch names sort by creation time and carry the id', () => {
    const n = batchName('abc-1', new Date('2026-11-24T08:00:01.002Z'));
    expect(n).toBe('20261124T080001.002Z-abc-1.ndjson');
    expect(parseBatchName(n)).toEqual({ id: 'abc-1', createdAt: new Date('2026-11-24T08:00:01.002Z') });
    expect(parseBatchName('.' + n + '.123.tmp')).toBeNull();
    expect(() => batchName('../evil', new Date())).toThrow();
  });

  it('write, list oldest first, move to sent, prune by keep-days; temps never listed as batches', () => {
    const dir = tmp();
    writeBatch(dir, 'late', [monitoringRecord(1)], new Date('2026-11-24T09:00:00Z'));
    writeBatch(dir, 'early', [monitoringRecord(2), monitoringRecord(3)], new Date('2026-11-24T08:00:00Z'));
    const w = openSpoolWriter(dir, 'inflight');
    w.write(monitoringRecord(4));
    let l = listSpool(dir);
    expect(l.pending.map((b) => b.id)).toEqual(['early', 'late']);
    expect(l.temps).toHaveLength(1);
    expect(readBatch(l.pending[0]!.path).map((r) => r.run_id)).toEqual(['run-2', 'run-3']);
    const sentAt = new Date('2026-11-01T00:00:00Z');
    moveBatch(dir, l.pending[0]!, 'sent', sentAt);
    l = listSpool(dir);
    expect(l.sent.map((b) => b.id)).toEqual(['early']);
    expect(l.sent[0]!.mtime.getTime()).toBe(sentAt.getTime());
    // 2026-11-24 is 23 days after the 1st: kept with 30 days, pruned with 14.
    expect(pruneSpool(dir, 30, new Date('2026-11-24T00:00:00Z')).removedSent).toEqual([]);
    expect(pruneSpool(dir, 14, new Date('2026-11-24T00:00:00Z')).removedSent).toEqual([l.sent[0]!.name]);
    expect(listSpool(dir).pending.map((b) => b.id)).toEqual(['late']); // pending is never pruned
    expect(w.commit()?.id).toBe('inflight');
    expect(listSpool(dir).temps).toEqual([]);
  });

  it('a run with no record leaves no batch; old temps of crashed writers are pruned', () => {
    const dir = tmp();
    expect(openSpoolWriter(dir, 'empty').commit()).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
    const stale = join(dir, '.20261101T000000.000Z-x.ndjson.999.tmp');
    writeFileSync(stale, '{"half":');
    utimesSync(stale, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'));
    expect(pruneSpool(dir, 14, new Date('2026-11-24T00:00:00Z')).removedTemps).toEqual([stale]);
  });

  it('an unwritable spool is OUTPUT_FAILED', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), '');
    expect(() => openSpoolWriter(join(dir, 'file', 'spool'), 'x')).toThrow(expect.objectContaining({ code: 'OUTPUT_FAILED' }) as unknown as Error);
  });
});

describe('run lock wait and splay', () => {
  it('acquireLockWaiting: waits for the holder to release, then takes the lock', async () => {
    const path = join(tmp(), 'run.lock');
    const held = acquireLock(path);
    // A fake clock: the holder releases at 300 ms, the waiter (polling every 50 ms) has it by 350 ms, not before 300.
    vi.useFakeTimers();
    try {
      setTimeout(() => held.release(), 300);
      const t0 = Date.now();
      let gotAt: number | null = null;
      const waiting = acquireLockWaiting(path, { waitMs: 5000, pollMs: 50 }).then((l) => ((gotAt = Date.now() - t0), l));
      await vi.advanceTimersByTimeAsync(299);
      expect(gotAt).toBeNull();
      await vi.advanceTimersByTimeAsync(51);
      expect(gotAt).toBeGreaterThanOrEqual(300);
      expect(gotAt).toBeLessThanOrEqual(350);
      (await waiting).release();
    } finally {
      vi.useRealTimers();
    }
  });

  it('acquireLockWaiting: gives up with LOCK_HELD after the wait, and at once with waitMs 0', async () => {
    const path = join(tmp(), 'run.lock');
    const held = acquireLock(path);
    try {
      const t0 = Date.now();
      await expect(acquireLockWaiting(path, { waitMs: 300, pollMs: 50 })).rejects.toMatchObject({ code: 'LOCK_HELD', message: expect.stringMatching(/waited/) });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
      await expect(acquireLockWaiting(path, { waitMs: 0 })).rejects.toBeInstanceOf(QosError);
    } finally {
      held.release();
    }
  });

  it('splayDelay: uniform in [0, s]; an abort ends it at once', async () => {
    // A fake clock: the abort at 100 ms ends a 30 s splay at 100 ms exactly; a 200 ms splay lasts 200 ms.
    vi.useFakeTimers();
    try {
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 100);
      const splay = splayDelay(60, ctl.signal, () => 0.5); // would be 30 s
      await vi.advanceTimersByTimeAsync(100);
      expect(await splay).toBe(100);
      const short = splayDelay(0.2, new AbortController().signal, () => 1); // 200 ms
      await vi.advanceTimersByTimeAsync(200);
      expect(await short).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
