import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, builtCliAvailable, ndjson, type CliResult } from '../helpers/cli.js';
import { deleteNamespaces, isRoot, missingTool } from '../helpers/netns.js';
import { labIndexes } from '../helpers/resources.js';

// Issue 25 item 1: `qosprobe demo` must never send a packet to the real default gateway. Here the "real" gateway is a
// router namespace this test makes (10.77.N.1); the router's end of the link counts every frame the host sends it
// (the kernel's interface counter: no nft needed; IPv6 is off on the link so no neighbour discovery adds to it).
// Network rule: traffic only on loopback and on the veth between the two namespaces (index N reserved per run by
// helpers/resources.ts, names qp<N>-fh*).

const N = labIndexes(1)[0]!;
const ROUTER = `qp${N}-fhr`;
const HOST = `qp${N}-fhh`;
const ROUTER_IP = `10.77.${N}.1`;
const HOST_IP = `10.77.${N}.2`;
const RDEV = `qp${N}fhr`;
const HDEV = `qp${N}fhh`;

const why = !isRoot ? 'needs root (network namespaces)' : !builtCliAvailable() ? 'needs the built CLI (npx tsc)' : missingTool([['ip', ['-V']], ['ping', ['-V']]]);
if (why) console.warn(`demo-gateway.test: skipped: ${why}`);

const sh = (args: string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Frames the router's end of the link has received from the host so far. */
function routerRxPackets(): number {
  const [link] = JSON.parse(sh(['ip', '-n', ROUTER, '-s', '-j', 'link', 'show', RDEV])) as { stats64: { rx: { packets: number } } }[];
  if (!link) throw new Error(`no link ${RDEV} in the router namespace`);
  return link.stats64.rx.packets;
}

/** The built CLI inside the host namespace, with the gateway ping left at its default (the suite's QOSPROBE_GATEWAY_PING=0 removed). */
function cliInHost(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.QOSPROBE_GATEWAY_PING;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', HOST, process.execPath, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe.skipIf(why !== null)('the demo stays on loopback (issue 25)', () => {
  beforeAll(() => {
    deleteNamespaces([ROUTER, HOST]);
    try {
      sh(['ip', 'netns', 'add', ROUTER]);
      sh(['ip', 'netns', 'add', HOST]);
      sh(['ip', 'link', 'add', RDEV, 'type', 'veth', 'peer', 'name', HDEV]);
      sh(['ip', 'link', 'set', RDEV, 'netns', ROUTER]);
      sh(['ip', 'link', 'set', HDEV, 'netns', HOST]);
      sh(['ip', '-n', ROUTER, 'addr', 'add', `${ROUTER_IP}/24`, 'dev', RDEV]);
      sh(['ip', '-n', HOST, 'addr', 'add', `${HOST_IP}/24`, 'dev', HDEV]);
      for (const [ns, dev] of [
        [ROUTER, RDEV],
        [HOST, HDEV],
      ] as const) {
        // No IPv6 on the link: its router solicitations and MLD reports would count as packets on the router.
        sh(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
        sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      }
      // The host's only way out is the router: its default gateway, as on a technician's laptop.
      sh(['ip', '-n', HOST, 'route', 'add', 'default', 'via', ROUTER_IP]);
    } catch (err) {
      deleteNamespaces([ROUTER, HOST]);
      throw err;
    }
  });
  afterAll(() => deleteNamespaces([ROUTER, HOST]));

  it('`demo` puts 0 packets on the router, and its records name no gateway figures', async () => {
    const before = routerRxPackets();
    const r = await cliInHost(['demo', '-f', 'ndjson', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const records = ndjson(r.stdout);
    expect(records.length).toBeGreaterThanOrEqual(6);
    for (const rec of records) {
      expect(rec.gateway, 'the gateway is known (so a ping could have gone to it)').toBe(ROUTER_IP);
      expect(rec.gateway_rtt_ms, String(rec.test)).toBeNull();
      expect(rec.gateway_loss_percent, String(rec.test)).toBeNull();
    }
    expect(routerRxPackets() - before).toBe(0);
  }, 90_000);

  // After the demo: the kernel's later ARP re-check of the router (a unicast probe ~5 s after the pings) must not count against it.
  it('an ad hoc command pings the default gateway by default (the router counter sees it: the control)', async () => {
    const before = routerRxPackets();
    const r = await cliInHost(['ping', '127.0.0.1', '--count', '3', '--interval', '200', '-f', 'ndjson', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const [rec] = ndjson(r.stdout);
    expect(rec?.gateway).toBe(ROUTER_IP);
    expect(rec?.gateway_loss_percent).toBe(0);
    expect(routerRxPackets() - before).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
