/**
 * Ad hoc commands (`qosprobe ping HOST`, `qosprobe tcp HOST:PORT`, ...): one test of one probe kind, with the same
 * output options as `run`. They are generated from the kinds' descriptors (probes/kinds.ts): the argument and the
 * flags become a test entry, read by the same function as a config's entries (adhoc-spec.ts).
 */
import { Command, Option } from 'commander';
import type { Obj } from '../core/config-reader.js';
import { QosError } from '../core/errors.js';
import { fillUrlTemplate } from '../core/url-template.js';
import type { Config } from '../config/types.js';
import { PROBE_INFO, PROBE_KINDS, type AdhocArgument, type FlagInfo, type ProbeInfo } from '../probes/kinds.js';
import type { AdhocDef } from './adhoc-spec.js';
import type { CliIo } from './io.js';
import { messagesFor } from './i18n.js';
import { addOutputOptions, addProbeOptions, examples, nonNegativeNumber, port, positiveInt, positiveNumber, type MeasureFlags } from './options.js';
import { say } from '../core/messages.js';

export interface AdhocOptions extends MeasureFlags {
  config?: string;
  count?: number;
  interval?: number;
  timeout?: number;
  ipv4?: boolean;
  ipv6?: boolean;
  [key: string]: unknown;
}

/** What an ad hoc command does with the config it made (one endpoint, one test): measure it, or (tests) keep it. */
export type AdhocRunner = (config: Config, flags: AdhocOptions, io: CliIo) => Promise<void>;

const measure: AdhocRunner = async (config, flags, io) => {
  const { execute } = await import('./execute.js');
  await execute({ config, flags, io, requireLocation: false });
};

const VALUE_PARSERS = { positiveInt, positiveNumber, nonNegativeNumber, port, numberOrText } as const;

/** The ad hoc command of every probe kind, in the registry's order. */
export function makeProbeCommands(io: CliIo): Command[] {
  return PROBE_KINDS.map((kind) => makeAdhocCommand(kind, io));
}

export function makeAdhocCommand(kind: string, io: CliIo, run: AdhocRunner = measure): Command {
  const { command: c } = PROBE_INFO[kind as keyof typeof PROBE_INFO] as ProbeInfo;
  const cmd = new Command(c.name).description(c.description).argument(`<${c.argument}>`);
  addProbeOptions(cmd);
  for (const f of c.flags) cmd.addOption(optionOf(f));
  if (c.family) cmd.addOption(new Option('-4, --ipv4', 'IPv4 only').conflicts('ipv6')).addOption(new Option('-6, --ipv6', 'IPv6 only'));
  addOutputOptions(cmd);
  cmd.option('-C, --config <file>', 'take probe id, location and defaults from this config');
  cmd.addHelpText('after', examples(...c.examples) + `\n${messagesFor(io).gatewayNote}\n`);
  const def = adhocDefOf(kind);
  cmd.action(async (arg: string, opts: AdhocOptions) => {
    const [{ loadOptionalConfig }, { adhocSpec }, { splitHostPort }] = await Promise.all([
      import('./context.js'),
      import('./adhoc-spec.js'),
      import('../net/resolve.js'),
    ]);
    const base = await loadOptionalConfig(opts.config, io);
    const { host, fields } = testOf(c.name, c.argument, arg, splitHostPort);
    for (const f of c.flags) fields[f.key] = opts[attributeOf(f)];
    if (c.family) fields.family = opts.ipv6 ? 6 : opts.ipv4 ? 4 : undefined;
    const spec = adhocSpec(def, fields, opts, base.defaults, io.cwd);
    await run({ ...base, endpoints: [{ name: arg, host, tests: [spec] }] }, opts, io);
  });
  return cmd;
}

/** How adhoc-spec.ts names a kind's flags in messages: the argument, and the flags whose key is not the default rule's. */
export function adhocDefOf(kind: string): AdhocDef {
  const { command: c } = PROBE_INFO[kind as keyof typeof PROBE_INFO] as ProbeInfo;
  return { kind, argument: `<${c.argument}>`, flagNames: Object.fromEntries(c.flags.map((f) => [f.key, longFlag(f)])) };
}

function optionOf(f: FlagInfo): Option {
  const o = new Option(f.flags, f.description);
  if (Array.isArray(f.value)) o.choices(f.value as readonly string[]);
  else if (typeof f.value === 'string') o.argParser(VALUE_PARSERS[f.value as keyof typeof VALUE_PARSERS]);
  if (f.env) o.env(f.env);
  return o;
}

const longFlag = (f: FlagInfo): string => (f.flags.match(/--[a-z0-9-]+/) as RegExpMatchArray)[0];
/** commander's property for a flag: --max-redirects → maxRedirects. */
const attributeOf = (f: FlagInfo): string => longFlag(f).slice(2).replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());

/** The endpoint host and the config keys the argument gives. */
function testOf(
  command: string,
  argument: AdhocArgument,
  arg: string,
  splitHostPort: (s: string) => { host: string; port: number | null },
): { host: string; fields: Obj } {
  switch (argument) {
    case 'host':
      return { host: arg, fields: {} };
    case 'name':
      return { host: arg, fields: { name: arg } };
    case 'url':
      return { host: hostOf(arg), fields: { url: arg } };
    case 'host:port':
    case 'host[:port]': {
      const { host, port: p } = splitHostPort(arg);
      if (p === null && argument === 'host:port') throw new QosError('USAGE', say('hostPort', command, arg));
      return { host, fields: { port: p ?? undefined } };
    }
  }
}

/** The URL's host, for the record's endpoint context; an unparseable URL is caught by the probe's own validation. */
export function hostOf(url: string): string {
  try {
    return new URL(fillUrlTemplate(url, 0)).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return url;
  }
}

/** A number when it reads as one; otherwise the text, so the bounds check (the config key's) shows what was typed. */
function numberOrText(v: string): number | string {
  return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
}
