/** Human output in English and Indonesian; records never change with the language. */
import { describe, expect, it } from 'vitest';
import { MESSAGES, langOf, usageLine } from '../../src/cli/i18n.js';
import { whereWritten } from '../../src/cli/execute.js';
import { formatTable } from '../../src/cli/ui.js';
import type { ResultRecord } from '../../src/core/schema.js';
import { sampleRecords } from '../helpers/records.js';
import { builtCliAvailable, ndjson, runCli } from '../helpers/cli.js';
import { startTcpListener } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp.js';

const plain = { bold: (s: string) => s, red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s };

describe('the language', () => {
  it.each<[string[], Record<string, string>, 'en' | 'id']>([
    [[], {}, 'en'],
    [[], { LANG: 'id_ID.UTF-8' }, 'id'],
    [[], { LANG: 'id_ID.UTF-8', LC_MESSAGES: 'en_US.UTF-8' }, 'en'], // LC_MESSAGES before LANG
    [[], { LC_ALL: 'id', LC_MESSAGES: 'en_US.UTF-8' }, 'id'], // LC_ALL before both
    [[], { LANG: 'ida_XX' }, 'en'], // id* means the id language, not any word starting with "id"
    [['run', '--lang', 'id'], {}, 'id'],
    [['--lang=en', 'ping'], { LANG: 'id_ID' }, 'en'], // the flag beats the environment
    [['--lang', 'fr'], { LANG: 'id_ID' }, 'id'], // an unknown value is commander's to refuse; the environment decides meanwhile
  ])('argv %j env %j → %s', (argv, env, lang) => {
    expect(langOf(argv, env)).toBe(lang);
  });
});

describe('summary table', () => {
  const recs: ResultRecord[] = [{ ...sampleRecords()[0]!, endpoint: 'ok-host', test: 'tcp', status: 'partial', sent: 4, received: 3 }];
  it('English headers and status words', () => {
    const [head, row] = formatTable(recs, plain, MESSAGES.en).split('\n');
    expect(head).toMatch(/^endpoint\s+test\s+status\s+sent\s+recv\s+loss %/);
    expect(row).toMatch(/^ok-host\s+tcp\s+partial\s+4\s+3/);
  });
  it('Indonesian headers and status words; the status cell alone is painted', () => {
    const [head, row] = formatTable(recs, { ...plain, yellow: (s: string) => `<${s}>` }, MESSAGES.id).split('\n');
    expect(head).toMatch(/^endpoint\s+uji\s+status\s+kirim\s+terima\s+hilang %/);
    expect(row).toMatch(/^ok-host\s+tcp\s+<sebagian\s*>\s+4\s+3/);
  });
  it('every language has every message', () => {
    expect(Object.keys(MESSAGES.id).sort()).toEqual(Object.keys(MESSAGES.en).sort());
    expect(MESSAGES.id.tableHead).toHaveLength(MESSAGES.en.tableHead.length);
  });
});

describe('the line a run on a terminal ends with', () => {
  const out = { format: 'csv' as const, path: 'r.csv', append: true };
  it('English and Indonesian', () => {
    expect(whereWritten(3, out, { code: '32.73', name: 'Jawa Barat / Kota Bandung' }, '/w', MESSAGES.en)).toBe(
      'qosprobe: 3 records appended to /w/r.csv (csv); location 32.73 Jawa Barat / Kota Bandung',
    );
    expect(whereWritten(3, out, { code: '32.73', name: 'Jawa Barat / Kota Bandung' }, '/w', MESSAGES.id)).toBe(
      'qosprobe: 3 rekaman ditambahkan ke /w/r.csv (csv); lokasi 32.73 Jawa Barat / Kota Bandung',
    );
    expect(whereWritten(1, { ...out, path: null }, { code: null, name: null }, '/w', MESSAGES.id)).toBe('qosprobe: 1 rekaman ditulis ke stdout (csv); tanpa kode lokasi');
  });
});

describe('usage errors', () => {
  it.each([
    ["error: unknown option '-x'\n", "qosprobe: unknown option '-x'\n", "qosprobe: opsi tidak dikenal '-x'\n"],
    ["error: unknown command 'frob'\n", "qosprobe: unknown command 'frob'\n", "qosprobe: perintah tidak dikenal 'frob'\n"],
  ])('%j', (from, en, id) => {
    expect(usageLine(from, MESSAGES.en)).toBe(en);
    expect(usageLine(from, MESSAGES.id)).toBe(id);
  });
});

describe.skipIf(!builtCliAvailable())('the built CLI in each language', () => {
  it('help and usage errors follow --lang or LANG', async () => {
    expect((await runCli(['--help'], { env: { LC_ALL: '', LANG: 'id_ID.UTF-8' } })).stdout).toMatch(/Probe QoS lapangan[\s\S]*Kode keluar: .*70 galat internal/);
    expect((await runCli(['--help'], { env: { LC_ALL: '', LANG: 'en_US.UTF-8' } })).stdout).toMatch(/Field QoS probe[\s\S]*Exit codes: .*70 internal error/);
    const id = await runCli(['ping', '127.0.0.1', '--count', 'x', '--lang', 'id']);
    expect(id.code).toBe(2);
    expect(id.stderr).toMatch(/^qosprobe: nilai 'x' untuk opsi '-c, --count <n>' tidak sah/);
    const frob = await runCli(['--lang', 'id', 'frob']);
    expect(frob.stderr).toBe("qosprobe: perintah tidak dikenal 'frob'\n(jalankan dengan --help untuk cara pakai)\n");
    expect((await runCli(['--lang', 'xx', 'demo'])).code).toBe(2);
    // The first message a new user meets, in a directory without a config.
    const dir = tempDir('qosprobe-i18n-');
    const noConfig = await runCli(['run', '--lang', 'id'], { cwd: dir, env: { XDG_CONFIG_HOME: dir } });
    expect(noConfig.code).toBe(3);
    expect(noConfig.stderr).toMatch(/^qosprobe: berkas konfigurasi tidak ditemukan; sudah dicari di: .*Buat dengan "qosprobe init"/);
  });

  it('records are the same in both languages', async () => {
    const l = await startTcpListener();
    try {
      const run = async (lang: string) =>
        ndjson((await runCli(['tcp', `127.0.0.1:${l.port}`, '-c', '1', '-f', 'ndjson', '--no-host-info', '--lang', lang, '-l', '32.73'])).stdout)[0]!;
      const [en, id] = await Promise.all([run('en'), run('id')]);
      const stable = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !/(_ms|_at|run_id|jitter|rtt|pdv)/.test(k)));
      expect(Object.keys(id)).toEqual(Object.keys(en));
      expect(stable(id)).toEqual(stable(en));
      expect(id).toMatchObject({ status: 'ok', location_name: 'Jawa Barat / Kota Bandung' });
    } finally {
      await l.close();
    }
  });
});
