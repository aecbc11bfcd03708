/**
 * Issue 25 item 3: everything a person reads follows --lang. This walks the message catalogues: no key, phrase or
 * option text without both languages, and every --help option of every command has its Indonesian text.
 */
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { MESSAGES } from '../../src/cli/i18n.js';
import { OPTION_HELP_ID } from '../../src/cli/i18n-help.js';
import { CATALOGUE, PATTERNS_ID, PHRASES_ID, phrase, say, type MessageKey } from '../../src/core/messages.js';
import { MEASUREMENT_ERROR_CODES } from '../../src/core/errors.js';
import { LABELS } from '../../src/report/labels.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const io = (lang: 'en' | 'id'): CliIo => ({ stdout: sink(), stderr: sink(), env: {}, cwd: '/', signal: new AbortController().signal, lang, setExitCode() {} });
const everyOption = (c: Command): { command: string; flags: string; description: string }[] => [
  ...c.options.map((o) => ({ command: c.name(), flags: o.flags, description: o.description })),
  ...c.commands.flatMap(everyOption),
];

describe('the error catalogue (core/messages.ts)', () => {
  it.each(Object.keys(CATALOGUE) as MessageKey[])('%s: an English and an Indonesian text, and they differ', (key) => {
    const args = ['A1', 'B2', 'C3', 'D4'];
    const t = say(key, ...args);
    expect(t.en.trim()).not.toBe('');
    expect(t.id.trim()).not.toBe('');
    // A template with words says them in each language; one made only of its arguments may be the same in both.
    if (/[a-z]{3}/.test(t.en.replace(/A1|B2|C3|D4/g, ''))) expect(t.id).not.toBe(t.en);
    // Every argument the English shows, the Indonesian shows too.
    for (const a of args) if (t.en.includes(a)) expect(t.id, `${key}: ${a}`).toContain(a);
  });

  it('every fixed phrase has its Indonesian, not the English again', () => {
    for (const [en, id] of Object.entries(PHRASES_ID)) {
      expect(id.trim(), en).not.toBe('');
      if (!/^[\d ]+or[\d ]+$|^true or false$/.test(en)) expect(id, en).not.toBe(en);
    }
  });

  it.each([
    ['one of csv, json', 'salah satu dari csv, json'],
    ['a warm-up shorter than duration_s (2)', 'pemanasan yang lebih pendek dari duration_s (2)'],
    ['an integer ≥ 5', 'bilangan bulat ≥ 5'],
    ['a number ≤ 3', 'angka ≤ 3'],
    ['a number of seconds > 0 and ≤ 2147483', 'jumlah detik > 0 dan ≤ 2147483'],
  ])('pattern: %s → %s', (en, id) => {
    expect(phrase(en)).toEqual({ en, id });
    expect(PATTERNS_ID.some(([re]) => re.test(en))).toBe(true);
  });
});

describe('the CLI catalogue (cli/i18n.ts, cli/i18n-help.ts)', () => {
  it('both languages have the same keys, each with a value', () => {
    const keys = (o: object): string[] => Object.keys(o).sort();
    expect(keys(MESSAGES.id)).toEqual(keys(MESSAGES.en));
    expect(keys(MESSAGES.id.written)).toEqual(keys(MESSAGES.en.written));
    expect(keys(MESSAGES.id.nextStep)).toEqual([...MEASUREMENT_ERROR_CODES].sort());
    expect(keys(MESSAGES.en.nextStep)).toEqual([...MEASUREMENT_ERROR_CODES].sort());
    for (const code of MEASUREMENT_ERROR_CODES) expect(MESSAGES.id.nextStep[code] === null, code).toBe(MESSAGES.en.nextStep[code] === null);
    expect(keys(LABELS.id)).toEqual(keys(LABELS.en));
  });

  it('every option of every command has its Indonesian --help text, and --lang id shows it', () => {
    const en = everyOption(createProgram(io('en')));
    const missing = en.filter((o) => OPTION_HELP_ID[o.description] === undefined).map((o) => `${o.command} ${o.flags}: ${o.description}`);
    expect(missing).toEqual([]);
    const id = everyOption(createProgram(io('id')));
    expect(id.map((o) => o.description)).toEqual(en.map((o) => OPTION_HELP_ID[o.description]));
  });

  it('every command (subcommands too) has its Indonesian description', () => {
    const names = (c: Command): string[] => c.commands.flatMap((s) => [s.name(), ...names(s)]);
    for (const n of names(createProgram(io('en')))) expect(MESSAGES.id.commands[n], n).toBeDefined();
  });
});
