import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ReflectorStats } from '../../src/serve/stamp-reflector.js';

export interface ReflectorProcess {
  port: number;
  stats(): Promise<ReflectorStats>;
  stop(): void;
}

/** Start test/helpers/reflector-child.ts in its own Node process (see there). */
export async function startReflectorProcess(): Promise<ReflectorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'reflector-child.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const port = Number(await next());
  return {
    port,
    async stats() {
      const p = next();
      child.stdin.write('\n');
      return JSON.parse(await p) as ReflectorStats;
    },
    stop: () => child.stdin.end(),
  };
}
