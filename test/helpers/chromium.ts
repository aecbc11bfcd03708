/**
 * Headless Chromium (Debian's, installed by .ci/run) for the HTML report's tests: the page's DOM after its own script
 * ran. Started with the flags this machine needs (no background networking: the network is closed) and a profile of
 * its own, removed afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tempDir } from './temp.js';

/** The browser, or undefined where there is none (the tests then skip, saying so). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** The DOM of `file` once Chromium's virtual clock has run `budgetMs`; killed after `timeoutMs` (a hang guard). */
export function dumpDom(file: string, o: { extra?: string[]; budgetMs?: number; timeoutMs?: number } = {}): Promise<string> {
  const profile = tempDir('qp-chromium-');
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${o.budgetMs ?? 2000}`,
    ...(o.extra ?? []),
    '--dump-dom',
    `file://${file}`,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(CHROMIUM as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 45_000);
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (out.includes('</html>')) resolve(out);
      else reject(new Error(`chromium exited ${code} without a DOM: ${err.slice(-1500)}`));
    });
  });
}
