/**
 * `qosprobe monitor` over each link (issue 22), in the two-uplink lab (test/helpers/uplinks.ts; root only): one endpoint
 * monitored over A and over B (`--interface qpla,qplb`), two streams. B is cut for 20 s at its router (nft drop of all it
 * forwards, as monitor-e2e cuts its link): exactly one outage, B's (net_iface qplb, B's modem's operator), none for A,
 * whose windows go on without a loss; and each stream's windows carry their own link's context. The modems are the
 * two-modem mmcli fixtures (fixtures/mmcli/two-modems) behind a stand-in `mmcli` on PATH whose net ports are the lab's
 * devices: modem 0 (TELKOMSEL) on qpla, modem 1 (XL Axiata) on qplb.
 * Windows of 2 s, a packet every 500 ms, an outage after 3 losses (1.5 s of packets): the 20 s cut is well past it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { BIN, ROOT, builtCliAvailable, ndjson } from '../helpers/cli.js';
import { isRoot, missingTool } from '../helpers/netns.js';
import { labIndexes, stopChild } from '../helpers/resources.js';
import { createUplinkLab, type UplinkLab } from '../helpers/uplinks.js';
import { tempDir } from '../helpers/temp.js';
import { nativeUdp } from '../../src/core/native.js';
import type { IncidentRecord } from '../../src/monitor/core.js';

const why = !isRoot
  ? 'needs root (network namespaces, nft)'
  : (missingTool([
      ['ip', ['-V']],
      ['nft', ['--version']],
    ]) ??
    (builtCliAvailable() ? null : 'dist/ is not built (npx tsc -p tsconfig.json)') ??
    (nativeUdp() ? null : 'the native addon is not built (binding needs it)'));
if (why) console.warn(`monitor-links: skipped: ${why}`);
// One lab index reserved for this run (helpers/resources.ts): another suite on this host gets another subnet.
const IDX = labIndexes(1)[0]!;
const CUT_MS = 20_000;

/** Polls the monitor's files (they raise no event) until `f` gives a value. */
function until<T>(what: string, timeoutMs: number, f: () => T | null | undefined | false): Promise<T> {
  return waitFor(f, what, timeoutMs, 100) as Promise<T>;
}

/** A stand-in mmcli answering with the two-modem fixtures, the modems' net ports renamed to the lab's devices. */
function fakeMmcli(dir: string): void {
  const fx = join(ROOT, 'fixtures/mmcli/two-modems');
  const script = [
    '#!/bin/sh',
    `D='${fx}'`,
    'if [ "$1" = "-L" ]; then cat "$D/list.txt"; exit 0; fi',
    'case "$3" in -K) f=modem;; --signal-get) f=signal;; --location-get) f=location;; --get-cell-info) f=cellinfo;; *) exit 1;; esac',
    'sed -e "s/wwan0 (net)/qpla (net)/" -e "s/wwan1 (net)/qplb (net)/" "$D/modem$2-$f.txt"',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'mmcli'), script);
  chmodSync(join(dir, 'mmcli'), 0o755);
}

describe.skipIf(why !== null)('monitor over two links: cutting B is B’s outage only (netns, root)', () => {
  let lab: UplinkLab;
  let monitor: ChildProcess | undefined;
  let cutTable = false;
  const dir = tempDir('qosprobe-monitor-links-');
  const cutB = (on: boolean) => {
    const script = on ? 'table inet cut {\n  chain cutall { type filter hook forward priority 0; policy drop; }\n}\n' : 'delete table inet cut\n';
    execFileSync('ip', ['netns', 'exec', lab.links.b.router, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
    cutTable = on;
  };

  beforeAll(async () => {
    lab = await createUplinkLab(IDX, { a: { delayMs: 0 }, b: { delayMs: 0 } }, [process.execPath, BIN]);
  }, 60_000);
  afterAll(async () => {
    await stopChild(monitor);
    if (cutTable && lab) cutB(false);
    await lab?.close();
  });

  /** Starts the monitor over both links in the client, its own files under `sub`. */
  function startMonitor(sub: string): { incidents: () => IncidentRecord[]; windows: () => Record<string, unknown>[]; stderr: () => string } {
    const base = join(dir, sub);
    const bin = join(base, 'bin');
    mkdirSync(bin, { recursive: true });
    fakeMmcli(bin);
    const cfg = join(base, 'qosprobe.yaml');
    const incidentsPath = join(base, 'incidents.ndjson');
    const windowsPath = join(base, 'windows.ndjson');
    writeFileSync(
      cfg,
      [
        'probe: { id: links-probe }',
        'location: { code: "32.73", site: TPS-022 }',
        'endpoints:',
        `  - { name: srv, host: ${lab.serverIp}, tests: [{ kind: stamp, port: 8862 }] }`,
        'output: { format: ndjson }',
        'monitor:',
        '  interval_ms: 500',
        '  timeout_ms: 1000',
        '  window_s: 2',
        '  outage: { loss_count: 3, recover_count: 3 }',
        `  incidents: ${incidentsPath}`,
        '',
      ].join('\n'),
    );
    let stderr = '';
    monitor = spawn(
      'ip',
      ['netns', 'exec', lab.client, 'env', `PATH=${bin}:${process.env.PATH ?? ''}`, `XDG_STATE_HOME=${join(base, 'state')}`, 'QOSPROBE_GATEWAY_PING=0', process.execPath, BIN, 'monitor', '--config', cfg, '--interface', 'qpla,qplb', '--out', windowsPath],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    monitor.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return {
      incidents: () => (existsSync(incidentsPath) ? (ndjson(readFileSync(incidentsPath, 'utf8')) as unknown as IncidentRecord[]) : []),
      windows: () => (existsSync(windowsPath) ? ndjson(readFileSync(windowsPath, 'utf8')) : []),
      stderr: () => stderr,
    };
  }

  it('one outage for B (its interface and operator), none for A; each stream’s windows carry its own link', async () => {
    const { incidents, windows, stderr: err } = startMonitor('cut');
    // Healthy first: a window of each link.
    await until('a window over each link', 20_000, () => ['qpla', 'qplb'].every((d) => windows().some((w) => w.net_iface === d)));
    expect(err()).toContain(`over qpla`);
    expect(incidents()).toEqual([]);

    const before = { a: lab.counters('a'), b: lab.counters('b') };
    const cutAt = Date.now();
    cutB(true);
    const opened = await until('B’s outage to open', 10_000, () => incidents().find((i) => i.state === 'open'));
    await new Promise((r) => setTimeout(r, Math.max(0, cutAt + CUT_MS - Date.now()))); // the cut's length is what is measured
    const restoredAt = Date.now();
    cutB(false);
    const closed = await until('B’s outage to close', 10_000, () => incidents().find((i) => i.state === 'closed' && i.incident_id === opened.incident_id));
    // A window after the recovery on both links, then stop.
    const nWindows = windows().length;
    await until('a window after the recovery on each link', 10_000, () => windows().length >= nWindows + 2);
    const after = { a: lab.counters('a'), b: lab.counters('b') };
    await stopChild(monitor);
    expect(monitor?.exitCode, err()).toBe(0);

    // Exactly one incident, opened and closed once: B's, with its interface, its modem's operator and context.
    console.info(`monitor-links: B's outage ${closed.duration_ms} ms (cut ${restoredAt - cutAt} ms), ${closed.samples_lost} lost; operator ${String(closed.operator)}`);
    expect(incidents().map((i) => `${i.state} ${i.incident_kind} ${i.net_iface}`)).toEqual(['open outage qplb', 'closed outage qplb']);
    expect(opened).toMatchObject({ endpoint: 'srv', test: 'stamp', net_iface: 'qplb', operator: '510-11 XL Axiata', net: { net_iface: 'qplb', gateway: lab.links.b.gateway, cell_operator: 'XL Axiata' } });
    expect(closed.end_reason).toBe('recovered');
    expect(Math.abs(closed.duration_ms! - (restoredAt - cutAt))).toBeLessThanOrEqual(2500);
    // The cut was B's alone: A kept sending and receiving through it, B's router dropped B's packets.
    expect(after.a.in - before.a.in).toBeGreaterThan(0);
    expect(after.b.upSeen - before.b.upSeen).toBeGreaterThan(0);

    // Each stream's windows: its own link's context; A's lost nothing, B's lost about the cut.
    const ws = windows();
    const of = (d: string) => ws.filter((w) => w.net_iface === d);
    expect(of('qpla').length + of('qplb').length).toBe(ws.length);
    for (const w of of('qpla')) expect(w).toMatchObject({ gateway: lab.links.a.gateway, net_ip: lab.links.a.clientIp, cell_operator: 'TELKOMSEL', cell_mcc_mnc: '510-10' });
    for (const w of of('qplb')) expect(w).toMatchObject({ gateway: lab.links.b.gateway, net_ip: lab.links.b.clientIp, cell_operator: 'XL Axiata', cell_mcc_mnc: '510-11' });
    const lost = (d: string) => of(d).reduce((n, w) => n + (w.sent as number) - (w.received as number), 0);
    expect(lost('qpla')).toBe(0);
    // 20 s at a packet every 500 ms: about 40 lost (a packet either side of the cut's edges).
    expect(Math.abs(lost('qplb') - CUT_MS / 500)).toBeLessThanOrEqual(3);
  }, 90_000);

  it('B’s device down for 6 s: B’s outage, with the cause of its failed sends; A goes on with nothing', async () => {
    const { incidents, windows, stderr: err } = startMonitor('down');
    await until('a window over each link', 20_000, () => ['qpla', 'qplb'].every((d) => windows().some((w) => w.net_iface === d)));
    const downAt = Date.now();
    lab.setUp('b', false);
    try {
      await until('B’s outage to open', 10_000, () => incidents().find((i) => i.state === 'open'));
      await new Promise((r) => setTimeout(r, Math.max(0, downAt + 6000 - Date.now()))); // the 6 s down are what is measured
    } finally {
      lab.setUp('b', true);
    }
    await until('B’s outage to close', 15_000, () => incidents().find((i) => i.state === 'closed'));
    const n = windows().length;
    await until('a window after the recovery on each link', 10_000, () => windows().length >= n + 2);
    await stopChild(monitor);
    expect(monitor!.exitCode, err()).toBe(0);
    const [opened, closed] = incidents();
    console.info(`monitor-links: B down: outage ${closed?.duration_ms} ms, ${closed?.samples_lost} lost, cause ${String(opened?.cause)}`);
    expect(incidents().map((i) => `${i.state} ${i.incident_kind} ${i.net_iface} ${i.operator}`)).toEqual(['open outage qplb 510-11 XL Axiata', 'closed outage qplb 510-11 XL Axiata']);
    expect(opened!.cause).not.toBeNull();
    // The monotonic duration agrees with the wall clock's: packets refused at once (the device down) keep their send
    // time (found: sent at 0, so the outage lasted since the process started, 9.7 s for 6, and one window held 13 packets).
    expect(Math.abs(closed!.duration_ms! - (Date.parse(closed!.ended_at!) - Date.parse(closed!.started_at)))).toBeLessThanOrEqual(50);
    for (const w of windows()) expect(w.sent as number).toBeLessThanOrEqual(2000 / 500 + 1);
    const lostA = windows()
      .filter((w) => w.net_iface === 'qpla')
      .reduce((k, w) => k + (w.sent as number) - (w.received as number), 0);
    expect(lostA).toBe(0);
  }, 90_000);
});
