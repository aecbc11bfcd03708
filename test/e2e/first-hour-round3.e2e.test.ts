/**
 * A technician's first hour, round 3 (issue 25): what a person reads on the built CLI — the gateway ping said where
 * it happens, Indonesian everywhere, a failure with its next step, a non-default reflector port — on loopback only.
 */
import { describe, expect, it } from 'vitest';
import { builtCliAvailable, runCli } from '../helpers/cli.js';

const why = builtCliAvailable() ? null : 'dist/ is not built (npx tsc -p tsconfig.json)';
if (why) console.warn(`first-hour-round3: skipped: ${why}`);

/** Help text as one line: commander wraps descriptions at the terminal width. */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

describe.skipIf(why !== null)('issue 25: what the help says about the gateway ping', () => {
  it.each([['run'], ['ping'], ['tcp'], ['http'], ['download'], ['trace']])('`%s --help` says it pings the default gateway by default, and how to turn it off', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    expect(flat(r.stdout)).toMatch(/By default each test is accompanied by 5 small pings to the default gateway/);
    expect(r.stdout).toContain('QOSPROBE_GATEWAY_PING=0');
  });

  it('`demo --help` says no packet leaves loopback, the gateway included; in Indonesian `run --help` says the same as in English', async () => {
    expect(flat((await runCli(['demo', '--help'])).stdout)).toMatch(/no packet leaves loopback, not even to the gateway/);
    expect(flat((await runCli(['--lang', 'id', 'run', '--help'])).stdout)).toMatch(/Secara bawaan setiap uji disertai 5 ping kecil ke gateway bawaan/);
  });
});
