/**
 * Ad hoc commands (`qosprobe ping HOST`, `qosprobe tcp HOST:PORT`, ...): one test of one
 * probe kind, with the same output options as `run`. Every probe kind gets one by
 * describing how its argument and options become a test entry.
 */
import { Command } from 'commander';
import type { Obj } from '../core/config-reader.js';
import type { CliIo } from './io.js';
import { addOutputOptions, addProbeOptions, examples, type OutputFlags } from './options.js';

export interface AdhocOptions extends OutputFlags {
  config?: string;
  count?: number;
  interval?: number;
  timeout?: number;
  [key: string]: unknown;
}

export interface AdhocDef {
  name: string;
  kind: string;
  argument: string;
  description: string;
  examples: string[];
  /** Kind-specific options. */
  options?(cmd: Command): void;
  /** The endpoint and the kind-specific fields of the test entry (as a config file would hold them). */
  toTest(arg: string, opts: AdhocOptions): { host: string; name?: string; fields: Obj };
  /** The flag that sets a config field, where the default rule (`duration_s` → `--duration`) does not give it. */
  flagNames?: Record<string, string>;
}

export function makeAdhocCommand(def: AdhocDef, io: CliIo): Command {
  const cmd = new Command(def.name).description(def.description).argument(def.argument);
  addProbeOptions(cmd);
  def.options?.(cmd);
  addOutputOptions(cmd);
  cmd.option('-C, --config <file>', 'take probe id, location and defaults from this config');
  cmd.addHelpText('after', examples(...def.examples));
  cmd.action(async (arg: string, opts: AdhocOptions) => {
    const [{ loadOptionalConfig }, { execute }, { adhocSpec }] = await Promise.all([
      import('./context.js'),
      import('./execute.js'),
      import('./adhoc-spec.js'),
    ]);
    const base = await loadOptionalConfig(opts.config, io);
    const { host, name, fields } = def.toTest(arg, opts);
    const spec = adhocSpec(def, fields, opts, base.defaults, io.cwd);
    await execute({ config: { ...base, endpoints: [{ name: name ?? arg, host, tests: [spec] }] }, flags: opts, io, requireLocation: false });
  });
  return cmd;
}
