import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigReader } from '../../src/core/config-reader.js';
import { QosError } from '../../src/core/errors.js';
import { pingCommand, runPing, type PingOptions, type PingRun } from '../../src/net/ping.js';
import { buildIcmpOutcome, icmp, makeIcmpProbe, type IcmpSpec } from '../../src/probes/icmp.js';
import type { PacketSample, ProbeOutcome } from '../../src/core/samples.js';
import { summarizePackets } from '../../src/stats/packets.js';

// Network rule: traffic goes to 127.0.0.1 and ::1 only (and to the private loopback of a
// network namespace this test makes itself).

const fixtures = fileURLToPath(new URL('../../fixtures/ping/', import.meta.url));
const fixture = (name: string) => readFileSync(fixtures + name, 'utf8');

const spec = (over: Partial<IcmpSpec> = {}): IcmpSpec => ({ kind: 'icmp', count: 5, intervalMs: 200, timeoutMs: 1000, size: 56, ...over });
const live = () => new AbortController().signal;
/** The packet samples of an outcome; none when it has no samples (a sample type other than packets fails the test). */
function packetsOf(o: ProbeOutcome): PacketSample[] {
  if (o.samples === undefined) return [];
  if (o.samples.type !== 'packets') throw new Error(`expected packet samples, got ${o.samples.type}`);
  return o.samples.packets;
}
const stats = (o: ProbeOutcome) => summarizePackets(packetsOf(o), { intervalMs: o.samples?.intervalMs ?? 0 });
const seqs = (ps: readonly PacketSample[]) => ps.map((p) => p.seq);

const tmp = mkdtempSync(join(tmpdir(), 'qosprobe-icmp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An executable shell script standing in for ping (it receives ping's arguments). */
function fakePing(name: string, body: string): string {
  const file = join(tmp, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
const via = (binary: string) => makeIcmpProbe((o) => runPing({ ...o, binary }));

const canPing6 = spawnSync('ping', ['-6', '-n', '-c', '1', '-W', '1', '::1']).status === 0;
if (!canPing6) console.warn('icmp.test: `ping -6 ::1` does not work on this machine: the ::1 test is skipped');

describe('icmp probe against the real system ping', () => {
  it('measures 127.0.0.1: 5 sent, 5 received, small positive RTTs', async () => {
    const o = await icmp.run({ name: 'lo', host: '127.0.0.1' }, spec(), { signal: live() });
    expect(o.error).toBeNull();
    expect(o.interrupted).toBe(false);
    expect(o.targetIp).toBe('127.0.0.1');
    expect(o.fields).toEqual({ size_bytes: 56, rtt_resolution_ms: 0.001, rtt_timestamping: 'kernel' }); // iputils prints 3 decimals, timed by the kernel
    const packets = packetsOf(o);
    expect(seqs(packets)).toEqual([0, 1, 2, 3, 4]);
    expect(packets.map((p) => p.sentAtMs)).toEqual([0, 200, 400, 600, 800]);
    for (const p of packets) {
      expect(p.rttMs).toBeGreaterThan(0);
      expect(p.rttMs).toBeLessThan(50);
    }
    expect(stats(o)).toMatchObject({ sent: 5, received: 5, loss_percent: 0, duplicates: 0, late: 0 });
  });

  it.skipIf(!canPing6)('measures ::1 the same way', async () => {
    const o = await icmp.run({ name: 'lo6', host: '::1' }, spec({ family: 6 }), { signal: live() });
    expect(o.error).toBeNull();
    expect(o.targetIp).toBe('::1');
    const packets = packetsOf(o);
    expect(seqs(packets)).toEqual([0, 1, 2, 3, 4]);
    for (const p of packets) {
      expect(p.rttMs).toBeGreaterThan(0);
      expect(p.rttMs).toBeLessThan(50);
    }
    expect(stats(o)).toMatchObject({ sent: 5, received: 5, loss_percent: 0 });
  });

  it('returns what was measured when aborted mid-run', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 650);
    const t0 = performance.now();
    const o = await icmp.run({ name: 'lo', host: '127.0.0.1' }, spec({ count: 20 }), { signal: ac.signal });
    expect(performance.now() - t0).toBeLessThan(3000); // not the 4 s the whole test would take
    expect(o.interrupted).toBe(true);
    const packets = packetsOf(o);
    // sends at 0, 200, 400, 600 ms before the abort; loopback answers each within a millisecond
    expect(packets.length).toBeGreaterThanOrEqual(3);
    expect(packets.length).toBeLessThanOrEqual(5);
    expect(seqs(packets)).toEqual(packets.map((_, i) => i));
    expect(packets.every((p) => p.rttMs != null && p.rttMs > 0)).toBe(true);
  });

  it('does not start ping when already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const o = await icmp.run({ name: 'lo', host: '127.0.0.1' }, spec(), { signal: ac.signal });
    expect(o.error?.code).toBe('ABORTED');
    expect(o.interrupted).toBe(true);
    expect(o.samples).toBeUndefined();
  });
});

describe('icmp probe with a stand-in ping', () => {
  it('says PING_UNPARSEABLE, with no samples, when ping prints something unreadable and exits 0', async () => {
    const garbage = fakePing('garbage', "echo 'Captive portal: please log in to continue'\nexit 0");
    const o = await via(garbage).run({ name: 'lo', host: '127.0.0.1' }, spec(), { signal: live() });
    expect(o.error?.code).toBe('PING_UNPARSEABLE');
    expect(o.samples).toBeUndefined();
    expect(o.targetIp).toBe('127.0.0.1');
  });

  it('says PING_FAILED with ping\'s stderr when it refuses to run', async () => {
    const refuses = fakePing('refuses', "echo 'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.'\necho 'ping: cannot flood; minimal interval allowed for user is 200ms' >&2\nexit 2");
    const o = await via(refuses).run({ name: 'lo', host: '127.0.0.1' }, spec({ intervalMs: 10 }), { signal: live() });
    expect(o.error?.code).toBe('PING_FAILED');
    expect(o.error?.message).toContain('minimal interval allowed for user is 200ms');
    expect(o.error?.message).toContain('exit code 2');
    expect(o.samples).toBeUndefined();
  });

  it('says PING_FAILED when ping stops on its own without a summary (sendto failing mid-run)', async () => {
    const dies = fakePing(
      'dies',
      "echo 'PING 127.0.0.1 (127.0.0.1): 56 data bytes'\necho '64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.185 ms'\necho 'ping: sendto: Operation not permitted' >&2\nexit 1",
    );
    const o = await via(dies).run({ name: 'lo', host: '127.0.0.1' }, spec(), { signal: live() });
    expect(o.error).toEqual({ code: 'PING_FAILED', message: 'ping failed (exit code 1): ping: sendto: Operation not permitted' });
    expect(o.samples).toBeUndefined();
  });

  it('says PING_UNAVAILABLE when there is no ping binary', async () => {
    const o = await via(join(tmp, 'no-such-ping')).run({ name: 'lo', host: '127.0.0.1' }, spec(), { signal: live() });
    expect(o.error?.code).toBe('PING_UNAVAILABLE');
    await expect(runPing({ ...opts(), binary: join(tmp, 'no-such-ping') })).rejects.toSatisfy(
      (e: unknown) => e instanceof QosError && e.code === 'PING_UNAVAILABLE',
    );
  });

  it('runs ping with LC_ALL=C and LANG=C without touching this process\'s environment', async () => {
    const env = fakePing('env', 'echo "LC_ALL=$LC_ALL LANG=$LANG"\necho "ARGS $*"');
    const before = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG };
    process.env.LC_ALL = 'de_DE.UTF-8';
    process.env.LANG = 'de_DE.UTF-8';
    try {
      const run = await runPing({ ...opts(), binary: env });
      expect(run.stdout).toContain('LC_ALL=C LANG=C\n');
      expect(run.stdout).toContain('ARGS -n -W 1 -c 5 -s 56 -i 0.2 127.0.0.1\n');
      expect(process.env.LC_ALL).toBe('de_DE.UTF-8');
      expect(process.env.LANG).toBe('de_DE.UTF-8');
    } finally {
      restore('LC_ALL', before.LC_ALL);
      restore('LANG', before.LANG);
    }
  });

  it('stops a ping that overruns its deadline, and kills one that ignores SIGINT', async () => {
    const slow = fakePing('slow', "echo 'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.'\nexec sleep 30");
    const run = await runPing({ ...opts(), binary: slow, deadlineMs: 300 });
    expect(run.stoppedBy).toBe('deadline');
    expect(run.exitSignal).toBe('SIGINT');
    expect(run.stdout).toContain('PING 127.0.0.1');

    const stubborn = fakePing('stubborn', "trap '' INT\nexec sleep 30");
    const t0 = performance.now();
    const run2 = await runPing({ ...opts(), binary: stubborn, deadlineMs: 200 });
    expect(run2.exitSignal).toBe('SIGKILL');
    expect(performance.now() - t0).toBeLessThan(5000);
    // nothing was measured: no number, and the outcome says why
    const o = buildIcmpOutcome({ target: 'x', targetIp: '127.0.0.1', spec: spec(), run: run2 });
    expect(o).toMatchObject({ interrupted: true, error: { code: 'DEADLINE' } });
    expect(o.samples).toBeUndefined();
  });

  it('stops ping on abort and keeps what it printed', async () => {
    const talker = fakePing('talker', "echo 'PING 127.0.0.1 (127.0.0.1): 56 data bytes'\necho '64 bytes from 127.0.0.1: icmp_seq=0 ttl=64 time=0.050 ms'\nexec sleep 30");
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const run = await runPing({ ...opts(), binary: talker, signal: ac.signal, platform: 'darwin' });
    expect(run.stoppedBy).toBe('abort');
    expect(run.stoppedAtMs).toBeGreaterThanOrEqual(250);
    const o = buildIcmpOutcome({ target: 'x', targetIp: '127.0.0.1', spec: spec(), run });
    expect(o.interrupted).toBe(true);
    expect(packetsOf(o)).toEqual([{ seq: 0, sentAtMs: 0, rttMs: 0.05 }]);
  });
});

const nsReady =
  process.platform === 'linux' && spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && nft list tables'], { stdio: 'ignore' }).status === 0;
if (!nsReady) console.warn('icmp.test: no network namespaces with nft here (needs root, unshare, ip, nft): the loss/duplicate test is skipped');

/**
 * The real ping inside a private network namespace whose loopback drops, rejects and duplicates
 * chosen packets: real loss, duplicates and ICMP unreachables without any traffic leaving.
 */
function netnsPing(name: string, rules: string): string {
  const rulesFile = join(tmp, `${name}.nft`);
  writeFileSync(rulesFile, rules);
  return fakePing(name, `exec unshare -n sh -c 'ip link set lo up && nft -f "$0" && exec ping "$@"' '${rulesFile}' "$@"`);
}

describe.skipIf(!nsReady)('icmp probe through real loss, duplicates and unreachables (private network namespace)', () => {
  it('counts lost, duplicated and unreachable packets', async () => {
    // on the wire iputils numbers from 1: requests 2 and 3 vanish, 7 is answered "host unreachable", reply 5 comes twice
    const binary = netnsPing(
      'lossy',
      `table ip qosprobe_test {
  chain in {
    type filter hook input priority 0; policy accept;
    icmp type echo-request icmp sequence { 2, 3 } drop
    icmp type echo-request icmp sequence 7 reject with icmp type host-unreachable
  }
  chain out {
    type filter hook output priority 0; policy accept;
    icmp type echo-reply icmp sequence 5 dup to 127.0.0.1
  }
}
`,
    );
    const o = await via(binary).run({ name: 'lo', host: '127.0.0.1' }, spec({ count: 10 }), { signal: live() });
    const packets = packetsOf(o);
    expect(seqs(packets)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(packets.filter((p) => p.rttMs == null).map((p) => [p.seq, p.errorCode])).toEqual([
      [1, 'TIMEOUT'],
      [2, 'TIMEOUT'],
      [6, 'HOST_UNREACHABLE'],
    ]);
    expect(packets[4]?.duplicates).toBe(1);
    // 3 of 10 lost; the longest run of losses is 2 packets × 200 ms
    expect(stats(o)).toMatchObject({ sent: 10, received: 7, loss_percent: 30, duplicates: 1, outage_ms: 400 });
  });

  it('says TIMEOUT when every packet is lost', async () => {
    const binary = netnsPing(
      'blackhole',
      `table ip qosprobe_test {
  chain in {
    type filter hook input priority 0; policy accept;
    icmp type echo-request drop
  }
}
`,
    );
    const o = await via(binary).run({ name: 'lo', host: '127.0.0.1' }, spec({ count: 3 }), { signal: live() });
    expect(o.error?.code).toBe('TIMEOUT');
    expect(stats(o)).toMatchObject({ sent: 3, received: 0, loss_percent: 100 });
  });
});

describe('pingCommand', () => {
  it('builds the Linux command with the package, -6 on ping itself, timeout rounded up to seconds', () => {
    expect(pingCommand({ ...opts(), address: '::1', family: 6, timeoutMs: 1500 }, 'linux')).toEqual({
      file: 'ping',
      args: ['-n', '-W', '2', '-c', '5', '-s', '56', '-i', '0.2', '-6', '::1'],
    });
  });

  it('gives Windows its timeout in whole milliseconds and no interval', () => {
    const { args } = pingCommand({ ...opts(), timeoutMs: 1001, sizeBytes: 32 }, 'win32');
    expect(args).toEqual(['-4', '-n', '5', '-l', '32', '-w', '1001', '127.0.0.1']);
  });

  it('uses macOS ping6 without -W (it has none)', () => {
    const cmd = pingCommand({ ...opts(), address: '::1', family: 6 }, 'darwin');
    expect(cmd.file).toBe('/sbin/ping6');
    expect(cmd.args).not.toContain('-W');
  });

  it('refuses a platform the package does not know', () => {
    expect(() => pingCommand(opts(), 'sunos')).toThrow(expect.objectContaining({ code: 'PING_UNAVAILABLE' }) as Error);
  });
});

describe('buildIcmpOutcome', () => {
  const out = (text: string, over: { spec?: Partial<IcmpSpec>; run?: Partial<PingRun> } = {}) =>
    buildIcmpOutcome({
      target: 'host',
      targetIp: '10.77.9.1',
      spec: spec(over.spec),
      run: { stdout: text, stoppedBy: null, stoppedAtMs: null, intervalMs: 200, platform: 'linux', ...over.run },
    });

  it('makes one sample per packet sent, lost ones included, duplicates counted', () => {
    const o = out(fixture('linux-iputils-loss-dup.txt'), { spec: { count: 10 } });
    const packets = packetsOf(o);
    expect(seqs(packets)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(packets.filter((p) => p.rttMs == null).map((p) => p.seq)).toEqual([1, 2, 6]);
    expect(packets[1]).toEqual({ seq: 1, sentAtMs: 200, rttMs: null, errorCode: 'TIMEOUT', errorMessage: 'no reply within 1000 ms' });
    expect(packets[4]).toEqual({ seq: 4, sentAtMs: 800, rttMs: 0.037, duplicates: 1 });
    expect(stats(o)).toMatchObject({ sent: 10, received: 7, loss_percent: 30, duplicates: 2, outage_ms: 400 });
    expect(o.error?.code).toBe('TIMEOUT'); // the cause of the losses (the record drops it when some came back)
    expect(o.interrupted).toBe(false);
  });

  it('leaves out packets still in flight when interrupted, but not those whose timeout had passed', () => {
    // stopped 1834 ms in, timeout 1000: seq 6 (sent at 1200) could still have come back; seq 1 and 2 could not
    const cut = out(fixture('linux-iputils-loss-dup.txt'), { spec: { count: 10 }, run: { stoppedBy: 'abort', stoppedAtMs: 1834 } });
    expect(seqs(packetsOf(cut))).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9]);
    expect(cut.interrupted).toBe(true);
    const late = out(fixture('linux-iputils-loss-dup.txt'), { spec: { count: 10 }, run: { stoppedBy: 'abort', stoppedAtMs: 5000 } });
    expect(packetsOf(late)).toHaveLength(10);
  });

  it('counts Windows "Destination host unreachable" (exit 0, "0% loss") as 100% loss, HOST_UNREACHABLE', () => {
    const o = out(fixture('windows-en-unreachable.txt'), { spec: { count: 4 }, run: { platform: 'win32', intervalMs: 1000 } });
    const packets = packetsOf(o);
    expect(packets.map((p) => [p.seq, p.rttMs, p.errorCode])).toEqual([
      [0, null, 'HOST_UNREACHABLE'],
      [1, null, 'HOST_UNREACHABLE'],
      [2, null, 'HOST_UNREACHABLE'],
      [3, null, 'HOST_UNREACHABLE'],
    ]);
    expect(o.error).toEqual({ code: 'HOST_UNREACHABLE', message: 'Reply from 10.77.9.69: Destination host unreachable.' });
    expect(stats(o)).toMatchObject({ sent: 4, received: 0, loss_percent: 100 });
  });

  it('takes Windows "<1ms" as 0.5 ms and its line order as sequence', () => {
    const o = out(fixture('windows-id-loss-unreachable.txt'), { run: { platform: 'win32', intervalMs: 1000 } });
    expect(packetsOf(o).map((p) => [p.seq, p.sentAtMs, p.rttMs, p.errorCode ?? null])).toEqual([
      [0, 0, 38, null],
      [1, 1000, null, 'TIMEOUT'],
      [2, 2000, null, 'HOST_UNREACHABLE'],
      [3, 3000, 41, null],
      [4, 4000, null, 'TIMEOUT'],
    ]);
    const fast = out(fixture('windows-en-ipv4.txt'), { run: { platform: 'win32', intervalMs: 1000 } });
    expect(packetsOf(fast).map((p) => p.rttMs)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(fast.fields?.rtt_resolution_ms).toBe(1); // `<1ms` is not a sub-millisecond measurement: the record says so
    expect(fast.samples?.intervalMs).toBe(1000);
  });

  it('counts a reply later than timeout_ms as lost and late', () => {
    const o = out(fixture('macos-loss-dup-late.txt'), { spec: { count: 6 }, run: { platform: 'darwin' } });
    const packets = packetsOf(o);
    expect(packets[3]).toMatchObject({ seq: 3, rttMs: null, late: true, errorCode: 'TIMEOUT' });
    expect(packets[1]).toMatchObject({ seq: 1, rttMs: null, errorCode: 'TIMEOUT', errorMessage: 'Request timeout for icmp_seq 1' });
    expect(packets[5]).toMatchObject({ seq: 5, rttMs: null, errorCode: 'TIMEOUT' }); // no line at all
    expect(stats(o)).toMatchObject({ sent: 6, received: 3, late: 1, duplicates: 1, loss_percent: 50 });
    // with a longer threshold the same reply is received
    expect(stats(out(fixture('macos-loss-dup-late.txt'), { spec: { count: 6, timeoutMs: 2000 } }))).toMatchObject({ received: 4, late: 0 });
  });

  it('says why everything was lost: TIMEOUT, or the unreachable notice that names no packet', () => {
    expect(out(fixture('linux-iputils-all-lost.txt'), { spec: { count: 3 } }).error?.code).toBe('TIMEOUT');
    expect(out(fixture('busybox-all-lost.txt'), { spec: { count: 3 } }).error?.code).toBe('TIMEOUT');
    expect(out(fixture('linux-iputils-ipv6-unreachable.txt'), { spec: { count: 3 } }).error).toEqual({
      code: 'HOST_UNREACHABLE',
      message: 'From ::1 icmp_seq=1 Destination unreachable: Address unreachable',
    });
    expect(out(fixture('macos-unreachable.txt'), { spec: { count: 3 }, run: { platform: 'darwin' } }).error).toEqual({
      code: 'HOST_UNREACHABLE',
      message: '92 bytes from 10.77.9.1: Destination Host Unreachable',
    });
  });

  it('says ALL_LOST when every packet failed for reasons ping did not make readable', () => {
    const text = '\nPinging 127.0.0.1 with 32 bytes of data:\n\u00bf\u00bf\u00bf.\n\u00bf\u00bf\u00bf.\n\nPing statistics for 127.0.0.1:\n    Packets: Sent = 2, Received = 0, Lost = 2 (100% loss),\n';
    const o = out(text, { run: { platform: 'win32' } });
    expect(packetsOf(o).map((p) => [p.rttMs, p.errorCode])).toEqual([
      [null, undefined],
      [null, undefined],
    ]);
    expect(o.error).toEqual({ code: 'ALL_LOST', message: 'no reply to any of 2 packets' });
  });

  it('never counts more packets than the test sent (iputils -w goes past -c)', () => {
    const o = out(fixture('linux-iputils-deadline-overrun.txt'), { spec: { count: 5 } });
    expect(packetsOf(o).map((p) => p.rttMs != null)).toEqual([true, false, false, true, true]);
  });

  it('gives no number for output it cannot read', () => {
    for (const name of ['linux-iputils-no-timestamp.txt', 'busybox-sendto-eperm.txt']) {
      const o = out(fixture(name));
      expect(o.error?.code, name).toBe('PING_UNPARSEABLE');
      expect(o.samples, name).toBeUndefined();
    }
    const garbage = out('<html>Captive portal</html>\n');
    expect(garbage.error?.code).toBe('PING_UNPARSEABLE');
    expect(garbage.error?.message).toContain('no reply, timeout or summary line');
    // replies but no summary, and nobody stopped ping: how many were lost at the end is unknown
    const noSummary = out(fixture('linux-iputils-killed.txt'));
    expect(noSummary.error?.code).toBe('PING_UNPARSEABLE');
    expect(noSummary.samples).toBeUndefined();
  });

  it('keeps what a stopped ping printed even without its summary', () => {
    const o = out(fixture('linux-iputils-killed.txt'), { spec: { count: 10 }, run: { stoppedBy: 'abort', stoppedAtMs: 500 } });
    expect(o.interrupted).toBe(true);
    expect(packetsOf(o).map((p) => p.rttMs)).toEqual([0.022, 0.037, 0.033]);
  });

  it('reports nothing measured, not a misreading, when stopped before any packet line', () => {
    const header = 'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n';
    const aborted = out(header, { run: { stoppedBy: 'abort', stoppedAtMs: 5 } });
    expect(aborted).toMatchObject({ interrupted: true, error: null });
    expect(aborted.samples).toBeUndefined();
    expect(out(header, { run: { stoppedBy: 'deadline', stoppedAtMs: 5 } }).error?.code).toBe('DEADLINE');
  });
});

describe('icmp config', () => {
  const r = new ConfigReader('qosprobe.yaml');
  const base = { kind: 'icmp', count: 10, intervalMs: 1000, timeoutMs: 3000 };
  const path = 'endpoints[0].tests[1]';

  it('defaults size to 56 bytes and family to either', () => {
    expect(icmp.parse({ kind: 'icmp' }, base, r, path)).toEqual({ ...base, kind: 'icmp', size: 56, family: undefined });
    expect(icmp.parse({ kind: 'icmp', size: 1200, family: 6 }, base, r, path)).toMatchObject({ size: 1200, family: 6 });
  });

  it('rejects a size without room for ping\'s timestamp, naming the field', () => {
    expect(() => icmp.parse({ kind: 'icmp', size: 8 }, base, r, path)).toThrow(
      'qosprobe.yaml: endpoints[0].tests[1].size: expected an integer from 16 to 65500, found number 8',
    );
    expect(() => icmp.parse({ kind: 'icmp', size: '56' }, base, r, path)).toThrow(/tests\[1\]\.size/);
  });

  it('accepts family 4 or 6 only', () => {
    expect(() => icmp.parse({ kind: 'icmp', family: 5 }, base, r, path)).toThrow(
      'qosprobe.yaml: endpoints[0].tests[1].family: expected 4 or 6, found number 5',
    );
  });

  it('bounds the test by ping\'s own schedule', () => {
    // 9 intervals of 200 ms (with iputils' drift on a busy host, × 1.25: test/unit/ping-duration.test.ts), then at most
    // -W 1 s for the last reply, plus a second to start
    expect(icmp.deadlineMs(spec({ count: 10 }))).toBe(process.platform === 'win32' ? 21_000 : 9 * 200 * 1.25 + 1000 + 1000);
  });
});

function opts(): PingOptions {
  return { address: '127.0.0.1', family: 4, count: 5, intervalMs: 200, timeoutMs: 1000, sizeBytes: 56 };
}

function restore(key: string, value: string | undefined) {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

describe('icmp arrival order', () => {
  it("is the order ping printed its replies, not seq × interval + RTT, when ping fell behind its schedule", () => {
    // iputils sent seq 1 late (it falls behind on a busy host, or below 10 ms with loss): it printed seq 0's reply
    // (30 ms) before seq 1's (10 ms). seq × interval + RTT would put seq 1 first (20 < 30): a reordering that did
    // not happen (the delay lab counted 2 of 200 so; docs/icmp.md).
    const stdout = [
      'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.',
      '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=30.0 ms',
      '64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=10.0 ms',
      '64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=5.00 ms',
      '',
      '--- 127.0.0.1 ping statistics ---',
      '3 packets transmitted, 3 received, 0% packet loss, time 41ms',
      'rtt min/avg/max/mdev = 5.000/15.000/30.000/10.801 ms',
    ].join('\n');
    const o = buildIcmpOutcome({ target: 'x', targetIp: '127.0.0.1', spec: spec({ count: 3, intervalMs: 10 }), run: { stdout, stoppedBy: null, stoppedAtMs: null, intervalMs: 10, platform: 'linux' } });
    const m = stats(o);
    expect(m.reordered).toBe(0);
    // RFC 3550 over arrival order 30, 10, 5: |D| seeds 20, then 20 + (5 − 20)/16.
    expect(m.jitter_rfc3550_ms).toBeCloseTo(20 + (5 - 20) / 16, 9);
    // A reply that needed no correction keeps no arrival time of its own.
    expect(packetsOf(o)[0]).toEqual({ seq: 0, sentAtMs: 0, rttMs: 30 });
  });
});
