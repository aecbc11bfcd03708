/**
 * What measuring over more links costs (issue 22): the same plan over 1 link and over 3 links (the two-uplink lab of
 * test/helpers/uplinks.ts plus a third router added here; root; no delay, no loss, so the figures are qosprobe's), wall
 * time and CPU (user + sys of the whole `qosprobe run`, bash's `time`), median of --rounds. Run: `npx tsx bench/links-cost.ts [--rounds 3]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUplinkLab } from '../test/helpers/uplinks.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'qosprobe.js');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] ?? 3) || 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const IDX = 219;
const lab = await createUplinkLab(IDX, { a: { delayMs: 0 }, b: { delayMs: 0 } }, [process.execPath, BIN]);
const dir = mkdtempSync(join(tmpdir(), 'qpl-bench-'));
// A third link, qplc, through a third router (the lab has two): client 10.77.IDX.194/28, router .193; router–server /28.
const rc = `qpl${IDX}-rx`;
const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'ignore' });
try {
  const net = `10.77.${IDX}`;
  ip('netns', 'add', rc);
  ip('-n', rc, 'link', 'set', 'lo', 'up');
  execFileSync('ip', ['netns', 'exec', rc, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  ip('link', 'add', 'qplc', 'netns', lab.client, 'type', 'veth', 'peer', 'name', 'qplrc', 'netns', rc);
  ip('link', 'add', 'qplrs', 'netns', rc, 'type', 'veth', 'peer', 'name', 'qplsc', 'netns', lab.server);
  for (const [ns, dev, addr] of [
    [lab.client, 'qplc', `${net}.194/28`],
    [rc, 'qplrc', `${net}.193/28`],
    [rc, 'qplrs', `${net}.210/28`],
    [lab.server, 'qplsc', `${net}.209/28`],
  ] as const) {
    ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
  ip('-n', lab.server, 'route', 'add', `${net}.192/28`, 'via', `${net}.210`);
  ip('-n', rc, 'route', 'add', lab.serverIp, 'via', `${net}.209`);
  ip('-n', lab.client, 'route', 'add', 'default', 'via', `${net}.193`, 'dev', 'qplc', 'metric', '300');
  const config = (links: string[]) => {
    const f = join(dir, `${links.length}.yaml`);
    writeFileSync(
      f,
      [
        'location: { code: "32.73" }',
        `interfaces: [${links.join(', ')}]`,
        'endpoints:',
        `  - { name: srv, host: ${lab.serverIp}, tests: [{ kind: icmp, count: 20, interval_ms: 20 }, { kind: tcp, port: 8080, count: 20, interval_ms: 20 }, { kind: stamp, port: 8862, count: 100, interval_ms: 10 }, { kind: http, url: /ping, count: 5, interval_ms: 50 }] }`,
        '',
      ].join('\n'),
    );
    return f;
  };
  // bash's `time` of the whole run (its children's user + sys), printed after the run's own output is discarded.
  const once = (f: string) => {
    const script = `TIMEFORMAT='%R %U %S'; { time ( QOSPROBE_GATEWAY_PING=0 ${process.execPath} ${BIN} run -C ${f} -f ndjson -q > /dev/null ) ; } 2>&1`;
    const [wall, user, sys] = execFileSync('ip', ['netns', 'exec', lab.client, 'bash', '-c', script], { encoding: 'utf8' }).trim().split(/\s+/).slice(-3).map(Number) as [number, number, number];
    return { wall, cpu: user + sys };
  };
  const measure = (links: string[]) => {
    const f = config(links);
    const runs = Array.from({ length: rounds }, () => once(f));
    // The figures mean something only if every test measured: a failing link would be cheap.
    const out = execFileSync('ip', ['netns', 'exec', lab.client, 'env', 'QOSPROBE_GATEWAY_PING=0', process.execPath, BIN, 'run', '-C', f, '-f', 'ndjson', '-q'], { encoding: 'utf8' });
    const records = out.trim().split('\n').map((l) => JSON.parse(l) as { status: string; net_iface: string });
    const bad = records.filter((r) => r.status !== 'ok');
    if (bad.length > 0 || records.length !== 4 * links.length) throw new Error(`not every test measured: ${JSON.stringify(bad)}`);
    return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
  };
  const one = measure(['qpla']);
  const three = measure(['qpla', 'qplb', 'qplc']);
  console.log(`plan (icmp 20, tcp 20, stamp 100, http 5) over 1 link: ${one.wall.toFixed(2)} s wall, ${one.cpu.toFixed(2)} s CPU`);
  console.log(`over 3 links: ${three.wall.toFixed(2)} s wall (x${(three.wall / one.wall).toFixed(2)}), ${three.cpu.toFixed(2)} s CPU (x${(three.cpu / one.cpu).toFixed(2)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  try {
    ip('netns', 'del', rc);
  } catch {
    // not made
  }
  await lab.close();
}
