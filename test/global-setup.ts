/**
 * After the whole run: nothing this run made may remain (issue 21). Everything a test makes lives under the run's own
 * directory (vitest.config.ts points HOME and TMPDIR there) or is named after lab indexes this run reserved
 * (helpers/resources.ts), so the check is exact even while another clone's suite runs on the same host:
 * - temp entries: what the tests left in the run's TMPDIR (each is a test that does not clean up after itself);
 * - mounts under the run directory; namespaces and root-namespace links of this run's lab indexes (a veth pair left in
 *   the root namespace once made a later lab of the index fail with 'File exists'); processes started with this run's id.
 * Whatever is found is removed, then the run fails naming it; the run directory goes in every case.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { linkOfIndex, mountsUnder, namespaces, netLocksOf, NET_LOCK_DIR, nsOfIndex, rootLinks, unmount } from './helpers/resources.js';
import { sleepSync } from './helpers/wait.js';

const RUN = process.env.QOSPROBE_TEST_RUN ?? '';

/** Processes (not this one) whose environment carries this run's id: CLIs, servers, daemons a test started. */
function processesOfRun(): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`QOSPROBE_TEST_RUN=${RUN}`)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      if (cmd.includes('/node_modules/vitest/') || cmd.includes('/node_modules/tinypool/')) continue; // vitest's own workers, ending with it
      found.push({ pid, cmd: cmd.slice(0, 120) });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export default function setup(): () => void {
  return function teardown(): void {
    if (RUN === '') return;
    const left: string[] = [];
    for (const p of processesOfRun()) {
      left.push(`process ${p.pid}: ${p.cmd}`);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const m of mountsUnder(RUN).reverse()) {
      left.push(`mount ${m}`);
      unmount(m);
    }
    const idxs = netLocksOf(RUN);
    for (const ns of namespaces().filter((n) => idxs.some((i) => nsOfIndex(n, i)))) {
      left.push(`namespace ${ns}`);
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // gone meanwhile
      }
    }
    // After the namespaces: deleting one takes its veth peers in this namespace with it, but a moment later (the
    // kernel tears a namespace down in the background), so a link is a leftover only if it stays for 2 s.
    const ours = () => rootLinks().filter((n) => idxs.some((i) => linkOfIndex(n, i)));
    let links = ours();
    for (let waited = 0; links.length > 0 && waited < 2000; waited += 100) {
      sleepSync(100); // polling the kernel: no event says a namespace is gone
      links = ours();
    }
    for (const dev of links) {
      left.push(`link ${dev}`);
      try {
        execFileSync('ip', ['link', 'del', dev], { stdio: 'ignore' });
      } catch {
        // gone meanwhile
      }
    }
    for (const i of idxs) rmSync(join(NET_LOCK_DIR, `${i}.lock`), { force: true });
    let temp: string[] = [];
    try {
      temp = readdirSync(join(RUN, 'tmp'));
    } catch {
      temp = [];
    }
    for (const t of temp) left.push(`temp entry ${t}`);
    rmSync(RUN, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(`the run left ${left.length} thing(s) behind (removed now; the tests that made them must release them):\n  ${left.join('\n  ')}`);
    }
  };
}
