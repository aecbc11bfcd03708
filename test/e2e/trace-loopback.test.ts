/** `qosprobe trace` end to end on loopback (IPv6 and IPv4, ICMP and UDP, mtr and traceroute): the built CLI and the real tools. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtCliAvailable, ndjson, runCli } from '../helpers/cli.js';

const has = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = !builtCliAvailable() ? 'dist/ is missing: run npm run build' : !has('mtr', ['--version']) ? 'mtr is not installed' : null;
const haveTraceroute = has('traceroute', ['--version']);

describe.skipIf(missing !== null)(`qosprobe trace on loopback${missing ? `: skipped, ${missing}` : ''}`, () => {
  it.each([
    ['::1', 'icmp', 'mtr'],
    ['127.0.0.1', 'udp', 'mtr'],
    ...(haveTraceroute ? [['127.0.0.1', 'udp', 'traceroute']] : []),
  ])('%s over %s with %s: one hop, the target itself', async (host, protocol, tool) => {
    const res = await runCli(['trace', host, '--count', '2', '--timeout', '1000', '--protocol', protocol, '--tool', tool, '-f', 'ndjson', '-q', '--no-host-info'], { timeoutMs: 20_000 });
    expect(res.code).toBe(0);
    const [trace, ...hops] = ndjson(res.stdout);
    expect(trace).toMatchObject({ test: 'trace', status: 'ok', target_ip: host, trace_hops: 1, trace_tool: tool, trace_protocol: protocol, sent: 2, received: 2, hop: null });
    expect(hops).toEqual([expect.objectContaining({ hop: 1, hop_address: host, status: 'ok', loss_percent: 0 })]);
  });
});
