import { execFileSync } from 'node:child_process';
import { deleteRootLinks, missingTool } from './netns.js';

/**
 * A chain of namespaces, client → r1 → r2 → r3 → server, with IP forwarding on the routers
 * (root only). Links 10.77.(base+i).0/24: client .2 / r1 .1 on base, then each router .1 on
 * its left link's far side... in short:
 *
 *   client 10.77.B.2 ─ 10.77.B.1 r1 10.77.B+1.1 ─ 10.77.B+1.2 r2 10.77.B+2.1 ─ 10.77.B+2.2 r3 10.77.B+3.1 ─ 10.77.B+3.2 server
 *
 * Hop n of a trace from the client is rn (hop 1 answers from 10.77.B.1, hop 2 from 10.77.B+1.2,
 * hop 3 from 10.77.B+2.2), hop 4 the server. The kernel's own ICMP rate limit is switched off
 * in every namespace so the only limits are those a test sets with nft.
 */
export interface TraceLab {
  ns: { client: string; r1: string; r2: string; r3: string; server: string };
  serverIp: string;
  /** The address each hop answers from (index 0 = hop 1). */
  hopIps: string[];
  /** The client's gateway (r1). */
  gatewayIp: string;
  /** Device names: r2's link towards r1 (where loss is injected on its way in), r3's towards r2. */
  r2InDev: string;
  r3InDev: string;
  exec(ns: string, cmd: string, args: string[]): string;
  nft(ns: string, script: string): void;
  teardown(): void;
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
}

export function labTools(): string | null {
  return missingTool([
    ['ip', ['-V']],
    ['nft', ['--version']],
    ['mtr', ['--version']],
  ]);
}

export function createTraceLab(prefix = 'trace', base = 80): TraceLab {
  const names = ['c', 'r1', 'r2', 'r3', 's'].map((n) => `${prefix}-${n}`);
  const [client, r1, r2, r3, server] = names as [string, string, string, string, string];
  const net = (i: number, host: number) => `10.77.${base + i}.${host}`;
  const teardown = () => {
    for (const ns of names) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* not there */
      }
    }
  };
  teardown();
  // A link left in the root namespace (a run killed between `link add` and `link set netns`) would fail `link add`.
  deleteRootLinks([0, 1, 2, 3].flatMap((i) => [`${prefix}t${i}l`, `${prefix}t${i}r`]));
  const chain = [client, r1, r2, r3, server];
  try {
    for (const ns of chain) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // Per-namespace sysctls: no kernel ICMP rate limit (the test sets its own), forwarding on routers.
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    }
    // Link i joins chain[i] (left, address .2 for the client, else .1... see the header) and chain[i+1].
    for (let i = 0; i < 4; i++) {
      const left = chain[i]!;
      const right = chain[i + 1]!;
      const ldev = `${prefix}t${i}l`; // qp<idx>t<i>l: a root-namespace leftover of the index (global-setup.ts) names its lab
      const rdev = `${prefix}t${i}r`;
      sh('ip', ['link', 'add', ldev, 'type', 'veth', 'peer', 'name', rdev]);
      sh('ip', ['link', 'set', ldev, 'netns', left]);
      sh('ip', ['link', 'set', rdev, 'netns', right]);
      // Link 0: client .2, r1 .1; other links: left router .1, right side .2.
      const [lip, rip] = i === 0 ? [net(0, 2), net(0, 1)] : [net(i, 1), net(i, 2)];
      sh('ip', ['-n', left, 'addr', 'add', `${lip}/24`, 'dev', ldev]);
      sh('ip', ['-n', right, 'addr', 'add', `${rip}/24`, 'dev', rdev]);
      sh('ip', ['-n', left, 'link', 'set', ldev, 'up']);
      sh('ip', ['-n', right, 'link', 'set', rdev, 'up']);
    }
    // Routes: everything towards the server by default, the client side explicitly.
    sh('ip', ['-n', client, 'route', 'add', 'default', 'via', net(0, 1)]);
    sh('ip', ['-n', r1, 'route', 'add', 'default', 'via', net(1, 2)]);
    sh('ip', ['-n', r2, 'route', 'add', 'default', 'via', net(2, 2)]);
    sh('ip', ['-n', r2, 'route', 'add', `10.77.${base}.0/24`, 'via', net(1, 1)]);
    sh('ip', ['-n', r3, 'route', 'add', 'default', 'via', net(3, 2)]);
    for (const i of [0, 1]) sh('ip', ['-n', r3, 'route', 'add', `10.77.${base + i}.0/24`, 'via', net(2, 1)]);
    sh('ip', ['-n', server, 'route', 'add', 'default', 'via', net(3, 1)]);
  } catch (err) {
    teardown();
    throw err;
  }
  return {
    ns: { client, r1, r2, r3, server },
    serverIp: net(3, 2),
    hopIps: [net(0, 1), net(1, 2), net(2, 2), net(3, 2)],
    gatewayIp: net(0, 1),
    r2InDev: `${prefix}t1r`,
    r3InDev: `${prefix}t2r`,
    exec: (ns, cmd, args) => sh('ip', ['netns', 'exec', ns, cmd, ...args]),
    nft: (ns, script) => {
      sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], script);
    },
    teardown,
  };
}

/** The packets a named nft counter has counted. */
export function counterPackets(lab: TraceLab, ns: string, table: string, name: string): number {
  const out = lab.exec(ns, 'nft', ['list', 'counter', 'ip', table, name]);
  const m = /packets (\d+)/.exec(out);
  if (!m) throw new Error(`no counter ${name} in ${ns}: ${out}`);
  return Number(m[1]);
}
