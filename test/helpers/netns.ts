import { execFileSync } from 'node:child_process';

/**
 * Two network namespaces joined by a veth pair, each end rate-limited by `tc tbf`, built
 * with plain `ip` and `tc` (root only). Addresses 10.77.<idx>.1 (server) and .2 (client):
 * traffic never leaves the pair.
 */
export interface NetnsPair {
  server: string;
  client: string;
  serverIp: string;
  clientIp: string;
  setRate(mbit: number): void;
  teardown(): void;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function hasTools(): string | null {
  return missingTool([
    ['ip', ['-V']],
    ['tc', ['-V']],
    ['iperf3', ['--version']],
  ]);
}

/** "X is not installed" for the first of these commands that does not run, else null. */
export function missingTool(tools: readonly (readonly [string, readonly string[]])[]): string | null {
  for (const [cmd, args] of tools) {
    try {
      execFileSync(cmd, [...args], { stdio: 'ignore' });
    } catch {
      return `${cmd} is not installed`;
    }
  }
  return null;
}

/** Delete these namespaces where they exist (deleting one deletes its ends of every veth, and with them the pairs). */
export function deleteNamespaces(names: readonly string[]): void {
  for (const ns of names) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* not there */
    }
  }
}

/**
 * Delete links of these names in this (the root) namespace. A lab whose setup stopped between creating a veth pair here
 * and moving its ends into its namespaces leaves the pair behind, where no namespace teardown reaches it, and every later
 * lab of that index then failed with "File exists" (an idle run lost its whole lab group to a stray qp100s). The index's
 * lock is ours when this runs, so a link of its name is a leftover.
 */
export function deleteRootLinks(names: readonly string[]): void {
  for (const dev of names) {
    try {
      sh('ip', ['link', 'del', dev]);
    } catch {
      /* not there */
    }
  }
}

export function createNetnsPair(idx: number): NetnsPair {
  const server = `qp${idx}-s`;
  const client = `qp${idx}-c`;
  const sdev = `qp${idx}s`;
  const cdev = `qp${idx}c`;
  const serverIp = `10.77.${idx}.1`;
  const clientIp = `10.77.${idx}.2`;
  const teardown = () => deleteNamespaces([server, client]);
  teardown();
  deleteRootLinks([sdev, cdev]);
  try {
    sh('ip', ['netns', 'add', server]);
    sh('ip', ['netns', 'add', client]);
    sh('ip', ['link', 'add', sdev, 'type', 'veth', 'peer', 'name', cdev]);
    sh('ip', ['link', 'set', sdev, 'netns', server]);
    sh('ip', ['link', 'set', cdev, 'netns', client]);
    for (const [ns, dev, ip] of [
      [server, sdev, serverIp],
      [client, cdev, clientIp],
    ] as const) {
      sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    teardown();
    deleteRootLinks([sdev, cdev]); // a pair made before a step failed stays in the root namespace otherwise
    throw err;
  }
  return {
    server,
    client,
    serverIp,
    clientIp,
    setRate(mbit) {
      // burst: a few ms at the rate and at least 64 KiB, so a GSO segment always fits in the bucket.
      const burstBytes = Math.max(65536, Math.round((mbit * 1e6 * 0.004) / 8));
      for (const [ns, dev] of [
        [server, sdev],
        [client, cdev],
      ] as const) {
        sh('tc', ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', String(burstBytes), 'latency', '25ms']);
      }
    },
    teardown,
  };
}
