#!/usr/bin/env node
/**
 * Builds the native UDP addon (native/: kernel receive timestamps for STAMP, issue 9) at `npm install`.
 * Linux only. Never fails the install: without it (no compiler, another OS) STAMP times its packets in
 * JavaScript and each record says so (rtt_timestamping event_loop); this prints why on stderr.
 * QOSPROBE_REQUIRE_NATIVE=1 (CI) makes a failed build fail the install instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { platform } from 'node:os';

const root = join(import.meta.dirname, '..');
const required = process.env.QOSPROBE_REQUIRE_NATIVE === '1';
const skip = (why) => {
  process.stderr.write(`qosprobe: native UDP timestamps not built: ${why}. STAMP will time packets in JavaScript (rtt_timestamping event_loop).\n`);
  process.exit(required ? 1 : 0);
};

if (platform() !== 'linux') skip(`kernel timestamps are read on Linux only (this is ${platform()})`);
if (!existsSync(join(root, 'native', 'binding.gyp'))) skip('native/ is not in this package');

// Already built and loadable, and not older than its sources: keep it. A packed qosprobe carries the addon built where
// it was packed (npm pack gives every file the same time), so a field laptop without a compiler keeps it; `node-gyp
// rebuild` would delete it first.
const built = join(root, 'native', 'build', 'Release', 'qosprobe_udp.node');
const mtime = (f) => statSync(f).mtimeMs;
if (existsSync(built) && ['udp_ts.c', 'binding.gyp'].every((f) => mtime(join(root, 'native', f)) <= mtime(built))) {
  try {
    createRequire(import.meta.url)(built);
    process.exit(0);
  } catch {
    // built for another platform or Node ABI: build it here
  }
}

// npm puts its own node-gyp on PATH for install scripts; run by hand, take npm's copy next to this node.
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
const [cmd, args] = candidates.length > 0 ? [process.execPath, [candidates[0]]] : ['node-gyp', []];
const r = spawnSync(cmd, [...args, 'rebuild', '--directory', join(root, 'native'), ...(process.env.npm_config_nodedir ? [] : ['--nodedir', dirname(dirname(process.execPath))])], {
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (r.error) skip(`node-gyp did not start (${r.error.message})`);
if (r.status !== 0) {
  const why = (r.stderr ?? '').split('\n').filter((l) => /error|not found|No such/i.test(l)).slice(0, 3).join(' | ');
  skip(`node-gyp failed (${why || `exit ${r.status}`})`);
}
