/**
 * What measuring over more links costs (issue 22): the same plan over 1 link and over 2 links of the two-uplink lab
 * (test/helpers/uplinks.ts, root; no delay, no loss, so the figures are qosprobe's), wall time and CPU (user + sys of
 * the whole `qosprobe run`, bash's `time`), median of --rounds. Run: `npx tsx bench/links-cost.ts [--rounds 3]`.
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

const lab = await createUplinkLab(219, { a: { delayMs: 0 }, b: { delayMs: 0 } }, [process.execPath, BIN]);
const dir = mkdtempSync(join(tmpdir(), 'qpl-bench-'));
try {
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
    return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
  };
  const one = measure(['qpla']);
  const two = measure(['qpla', 'qplb']);
  console.log(`plan (icmp 20, tcp 20, stamp 100, http 5) over 1 link: ${one.wall.toFixed(2)} s wall, ${one.cpu.toFixed(2)} s CPU`);
  console.log(`over 2 links: ${two.wall.toFixed(2)} s wall (x${(two.wall / one.wall).toFixed(2)}), ${two.cpu.toFixed(2)} s CPU (x${(two.cpu / one.cpu).toFixed(2)})`);
  console.log(`per further link: +${(two.wall - one.wall).toFixed(2)} s wall, +${(two.cpu - one.cpu).toFixed(2)} s CPU; 3 links, linear: ${(one.wall + 2 * (two.wall - one.wall)).toFixed(2)} s wall, ${(one.cpu + 2 * (two.cpu - one.cpu)).toFixed(2)} s CPU`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await lab.close();
}
