// Helpers shared by the benchmark scripts.
import { createServer } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** A TCP port on 127.0.0.1 that was free a moment ago (for tools that need a port number up front). */
export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Replace the section under `heading` (up to the next "## ") in docs/benchmarks.md, or append it. */
export function writeSection(heading, body) {
  const file = new URL('../docs/benchmarks.md', import.meta.url);
  const section = `${heading}\n\n${body.trimEnd()}\n`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = doc.indexOf(heading);
  if (start >= 0) {
    const next = doc.indexOf('\n## ', start + heading.length);
    doc = doc.slice(0, start) + section + (next >= 0 ? doc.slice(next) : '');
  } else {
    doc = `${doc.trimEnd()}\n\n${section}`;
  }
  writeFileSync(file, doc);
  console.error(`wrote ${file.pathname}`);
}
