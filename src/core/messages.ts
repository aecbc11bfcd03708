/**
 * The message catalogue of the errors a person reads (config, location, usage, report input), in English and
 * Indonesian. Each key renders both texts at once (`say`), so an error carries its words in every language and the CLI
 * edge prints the one of `--lang` (cli/main.ts). Records are never translated: `error_message` and logs keep `en`.
 * test/unit/i18n-catalogue.test.ts walks this file: no key, phrase or pattern without both languages.
 */

export type Lang = 'en' | 'id';
/** One text in every language. */
export type Localized = Readonly<Record<Lang, string>>;
type Arg = string | number | Localized;

/** Templates: every argument arrives already in the template's language. */
export const CATALOGUE = {
  topLevel: { en: () => '(top level)', id: () => '(tingkat atas)' },
  expectedFound: { en: (exp: string, found: string) => `expected ${exp}, found ${found}`, id: (exp: string, found: string) => `diharapkan ${exp}, ditemukan ${found}` },
  expectedGot: { en: (exp: string, got: string) => `expected ${exp}, got "${got}"`, id: (exp: string, got: string) => `diharapkan ${exp}, didapat "${got}"` },
  unknownField: {
    en: (hint: string, allowed: string) => `unknown field${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${allowed}`,
    id: (hint: string, allowed: string) => `kolom tidak dikenal${hint ? ` (maksud Anda "${hint}"?)` : ''}; seharusnya salah satu dari ${allowed}`,
  },
  missing: { en: () => 'nothing (the field is missing)', id: () => 'tidak ada (kolom tidak diisi)' },
  aList: { en: () => 'a list', id: () => 'sebuah daftar' },
  aMapping: { en: () => 'a mapping', id: () => 'sebuah pemetaan' },
  typed: { en: (type: string, v: string) => `${type} ${v}`, id: (type: string, v: string) => `${type === 'number' ? 'angka' : type} ${v}` },
  anInteger: { en: () => 'an integer', id: () => 'bilangan bulat' },
  aNumber: { en: () => 'a number', id: () => 'angka' },
  fromTo: { en: (kind: string, min: string, max: string) => `${kind} from ${min} to ${max}`, id: (kind: string, min: string, max: string) => `${kind} dari ${min} sampai ${max}` },
  oneOf: { en: (list: string) => `one of ${list}`, id: (list: string) => `salah satu dari ${list}` },
  locationNumber: {
    en: (s: string, meant: string) =>
      `expected a region code in quotes; found the number ${s} (YAML reads an unquoted code as a number and drops trailing zeros): write code: "${meant}" if that is the code`,
    id: (s: string, meant: string) =>
      `diharapkan kode wilayah dalam tanda kutip; ditemukan angka ${s} (YAML membaca kode tanpa kutip sebagai angka dan membuang nol di belakang): tulis code: "${meant}" bila itu kodenya`,
  },
  locationShape: {
    en: (found: string, hint: string) => `expected a region code: 2 digits, then .2, .2 and .4 digits (32, 32.73, 32.73.01 or 32.73.01.1001); found ${found}${hint ? ` (${hint})` : ''}`,
    id: (found: string, hint: string) => `diharapkan kode wilayah: 2 angka, lalu .2, .2 dan .4 angka (32, 32.73, 32.73.01 atau 32.73.01.1001); ditemukan ${found}${hint ? ` (${hint})` : ''}`,
  },
  anEmptyString: { en: () => 'an empty string', id: () => 'string kosong' },
  didYouMean: { en: (code: string) => `did you mean "${code}"?`, id: (code: string) => `maksud Anda "${code}"?` },
  tpsId: { en: (code: string, tps: string) => `a 13-digit TPS id? its village is ${code}, TPS ${tps}; use the region code`, id: (code: string, tps: string) => `ID TPS 13 digit? desanya ${code}, TPS ${tps}; pakai kode wilayahnya` },
  locationMalformed: { en: (label: string, code: string, reason: string) => `${label}: location code "${code}" is malformed: ${reason}`, id: (label: string, code: string, reason: string) => `${label}: kode lokasi "${code}" salah bentuk: ${reason}` },
  locationUnknown: {
    en: (label: string, code: string, near: string) =>
      `${label}: location code "${code}" is not in the region table (Kepmendagri 2025)${near ? `; nearest known: ${near}` : ''}. Use --location-unchecked to accept it anyway.`,
    id: (label: string, code: string, near: string) =>
      `${label}: kode lokasi "${code}" tidak ada di tabel wilayah (Kepmendagri 2025)${near ? `; yang terdekat: ${near}` : ''}. Pakai --location-unchecked untuk tetap menerimanya.`,
  },
  noEndpoints: { en: (file: string) => `${file}: endpoints: expected at least one endpoint with tests, found none`, id: (file: string) => `${file}: endpoints: diharapkan minimal satu endpoint dengan uji, tidak ada satu pun` },
  configMissing: { en: (path: string) => `config file ${path} does not exist (create one with: qosprobe init)`, id: (path: string) => `berkas konfigurasi ${path} tidak ada (buat dengan: qosprobe init)` },
  configUnreadable: { en: (path: string, why: string) => `cannot read config file ${path}: ${why}`, id: (path: string, why: string) => `berkas konfigurasi ${path} tidak dapat dibaca: ${why}` },
  notJson: { en: (path: string, why: string) => `${path}: not valid JSON: ${why}`, id: (path: string, why: string) => `${path}: bukan JSON yang sah: ${why}` },
  notYaml: { en: (path: string, where: string, why: string) => `${path}: not valid YAML${where}: ${why}`, id: (path: string, where: string, why: string) => `${path}: bukan YAML yang sah${where}: ${why}` },
  atLine: { en: (line: string, col: string) => ` at line ${line}, column ${col}`, id: (line: string, col: string) => ` pada baris ${line}, kolom ${col}` },
  reportNoRecords: {
    en: (files: string, problems: string, first: string) => `no records in the input (${files} file(s)${problems})${first}`,
    id: (files: string, problems: string, first: string) => `tidak ada rekaman dalam masukan (${files} berkas${problems})${first}`,
  },
  reportProblems: { en: (malformed: string, unknown: string) => `; ${malformed} malformed line(s), ${unknown} of an unknown schema`, id: (malformed: string, unknown: string) => `; ${malformed} baris rusak, ${unknown} dengan skema tak dikenal` },
  reportFirstProblem: { en: (where: string, reason: string) => `; first problem: ${where}: ${reason}`, id: (where: string, reason: string) => `; masalah pertama: ${where}: ${reason}` },
  reportEmpty: { en: () => '; the input is empty', id: () => '; masukan kosong' },
  reportStrict: {
    en: (malformed: string, unknown: string, first: string) => `--strict: ${malformed} malformed row(s) and ${unknown} row(s) of an unknown schema version${first ? `; first: ${first}` : ''} (run without --strict to see them all)`,
    id: (malformed: string, unknown: string, first: string) => `--strict: ${malformed} baris rusak dan ${unknown} baris dengan versi skema tak dikenal${first ? `; yang pertama: ${first}` : ''} (jalankan tanpa --strict untuk melihat semuanya)`,
  },
  noFileMatches: { en: (arg: string) => `no file matches ${arg}`, id: (arg: string) => `tidak ada berkas yang cocok dengan ${arg}` },
  noSuchFile: { en: (arg: string) => `no such file or directory: ${arg}`, id: (arg: string) => `tidak ada berkas atau direktori: ${arg}` },
  noResultFiles: { en: (arg: string) => `no result files (*.csv, *.ndjson, *.json) under ${arg}`, id: (arg: string) => `tidak ada berkas hasil (*.csv, *.ndjson, *.json) di bawah ${arg}` },
  badTimeBound: {
    en: (flag: string, v: string) => `${flag}: expected an ISO 8601 date (2026-11-24) or date-time (2026-11-24T08:00:00Z), got "${v}"`,
    id: (flag: string, v: string) => `${flag}: diharapkan tanggal ISO 8601 (2026-11-24) atau tanggal-waktu (2026-11-24T08:00:00Z), didapat "${v}"`,
  },
  untilBeforeSince: { en: () => '--until must be later than --since', id: () => '--until harus lebih lambat dari --since' },
  stdinTwice: { en: () => 'stdin (-) can be read only once', id: () => 'stdin (-) hanya dapat dibaca sekali' },
  hostPort: {
    en: (command: string, arg: string) => `${command}: expected HOST:PORT (e.g. 127.0.0.1:80 or [::1]:443), got "${arg}"`,
    id: (command: string, arg: string) => `${command}: diharapkan HOST:PORT (mis. 127.0.0.1:80 atau [::1]:443), didapat "${arg}"`,
  },
  notAUrl: { en: (s: string) => `--push/--to: "${s}" is not a URL (expected http(s)://host[:port]/path)`, id: (s: string) => `--push/--to: "${s}" bukan URL (diharapkan http(s)://host[:port]/path)` },
  notHttpUrl: { en: (proto: string) => `--push/--to: expected an http(s) URL, got ${proto}`, id: (proto: string) => `--push/--to: diharapkan URL http(s), didapat ${proto}` },
  pushWithoutSpool: { en: () => '--push sends the spool: it cannot be combined with --no-spool', id: () => '--push mengirim spool: tidak dapat digabung dengan --no-spool' },
} as const satisfies Record<string, Record<Lang, (...args: string[]) => string>>;

export type MessageKey = keyof typeof CATALOGUE;

/**
 * The fixed "expected ..." phrases of config and flag checks, English → Indonesian (as the checks write them: the
 * English text is the key, so a check reads naturally where it is written).
 */
export const PHRASES_ID: Readonly<Record<string, string>> = {
  'a mapping (key: value)': 'sebuah pemetaan (kunci: nilai)',
  'a list': 'sebuah daftar',
  'a non-empty list': 'daftar yang tidak kosong',
  'a string': 'sebuah string',
  'a non-empty string': 'string yang tidak kosong',
  'true or false': 'true atau false',
  'a name not used by another endpoint': 'nama yang belum dipakai endpoint lain',
  'at least one test': 'minimal satu uji',
  '4 or 6': '4 atau 6',
  'an http:// or https:// URL, or a path like /ping': 'URL http:// atau https://, atau path seperti /ping',
  'a status code like 200 or a class like 2xx': 'kode status seperti 200 atau kelas seperti 2xx',
  'an http(s):// URL': 'URL http(s)://',
  'an integer ≥ 1': 'bilangan bulat ≥ 1',
  'a number ≥ 0': 'angka ≥ 0',
  'a number > 0': 'angka > 0',
  'a port from 1 to 65535': 'port dari 1 sampai 65535',
};

/** Phrases with a value inside: English pattern → Indonesian replacement. */
export const PATTERNS_ID: readonly (readonly [RegExp, string])[] = [
  [/^one of (.+)$/, 'salah satu dari $1'],
  [/^a warm-up shorter than duration_s \((.+)\)$/, 'pemanasan yang lebih pendek dari duration_s ($1)'],
  [/^the id of one of the profile's metrics \((.*)\)$/, 'id salah satu metrik profil ($1)'],
  [/^a number of seconds > 0 and ≤ (\d+)$/, 'jumlah detik > 0 dan ≤ $1'],
  [/^a number of seconds from 0 to (\d+)$/, 'jumlah detik dari 0 sampai $1'],
  [/^(an integer|a number) ([≥≤]) (\S+)$/, '$1 $2 $3'],
];

const pick = (a: Arg, lang: Lang): string => (typeof a === 'object' ? a[lang] : String(a));

/** The catalogue's text for `key` in every language. */
export function say<K extends MessageKey>(key: K, ...args: Arg[]): Localized {
  const t = CATALOGUE[key] as Record<Lang, (...a: string[]) => string>;
  const text = { en: t.en(...args.map((a) => pick(a, 'en'))), id: t.id(...args.map((a) => pick(a, 'id'))) };
  remember(text);
  return text;
}

/** An "expected ..." phrase in every language: from the phrase table or a pattern; else as written. */
export function phrase(en: string | Localized): Localized {
  if (typeof en !== 'string') return en;
  let id = PHRASES_ID[en];
  if (id === undefined) {
    for (const [re, to] of PATTERNS_ID) {
      if (re.test(en)) {
        id = en.replace(re, to).replace(/^an integer/, 'bilangan bulat').replace(/^a number/, 'angka');
        break;
      }
    }
  }
  return { en, id: id ?? en };
}

/** The same text in every language (a path, a value): for composing. */
export const same = (s: string): Localized => ({ en: s, id: s });

/** Join localized parts language by language. */
export function concat(...parts: Localized[]): Localized {
  return { en: parts.map((p) => p.en).join(''), id: parts.map((p) => p.id).join('') };
}

/**
 * Texts rendered lately, by their English: commander prints a value parser's message in English inside its own
 * ("option '-c' argument 'x' is invalid. <ours>"), and cli/i18n.ts finds ours here to show it in the user's language.
 */
const rendered = new Map<string, Localized>();
function remember(t: Localized): void {
  if (rendered.size > 200) rendered.clear();
  rendered.set(t.en, t);
}
export function localizedOf(en: string): Localized | undefined {
  return rendered.get(en);
}
