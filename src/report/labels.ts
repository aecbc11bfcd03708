/**
 * The words of the human-readable report (table and HTML) in English and Indonesian, chosen by
 * `--lang id|en` or, by default, from LC_ALL / LC_MESSAGES / LANG (id* → Indonesian). Machine
 * formats (csv, json, geojson) keep their English column and key names: tools depend on them.
 * Band labels come from the profile's data (TIPHON's are Indonesian, with English in brackets).
 */
export const LANGS = ['en', 'id'] as const;
export type Lang = (typeof LANGS)[number];

export interface Labels {
  lang: Lang;
  name: string;
  records: string;
  availPct: string;
  availability: string;
  fails: string;
  completePct: string;
  /** Words inside the metric column heads (a metric's own name per language is in its row of metrics.ts). */
  mean: string;
  groupsBy(n: number, by: string, rows: number, files: number): string;
  noRecords: string;
  outsideRange(n: number): string;
  verdicts(profile: string, pass: number, fail: number, none: number): string;
  profile: string;
  samplesNote: string;
  inputProblems: string;
  issuesSummary(malformed: number, unknown: number): string;
  duplicatesSummary(copies: number): string;
  notRated(metric: string, why: string): string;
  worstTitle: string;
  noLatency: string;
  distributions: string;
  overTime: string;
  group: string;
  groups: string;
  sortHint: string;
  map: string;
  mapNote(points: number, without: number): string;
  expectedSilent: string;
  expectedUnknown: string;
  silentSummary(silent: number, expected: number): string;
  generated: string;
  title(by: string): string;
}

const en: Labels = {
  lang: 'en',
  name: 'name',
  records: 'records',
  availPct: 'avail%',
  availability: 'availability',
  fails: 'fails',
  completePct: 'complete% (sites)',
  mean: 'mean',
  groupsBy: (n, by, rows, files) => `${n} group(s) by ${by} from ${rows} record(s) in ${files} file(s)`,
  noRecords: 'no records',
  outsideRange: (n) => `${n} record(s) outside --since/--until left out`,
  verdicts: (p, pass, fail, none) => `profile ${p}: ${pass} pass, ${fail} fail, ${none} without a verdict`,
  profile: 'Profile',
  samplesNote: 'Samples are per record: latency = rtt_median_ms of each test; quantiles type 7; loss includes tests that lost every packet (docs/report.md).',
  inputProblems: 'Input problems',
  issuesSummary: (m, u) => `${m} malformed row(s), ${u} row(s) of an unknown schema: not aggregated`,
  duplicatesSummary: (n) => `${n} record(s) read more than once (same run_id, probe, endpoint, test and started_at): counted once`,
  notRated: (metric, why) => `${metric}: not rated (${why}).`,
  worstTitle: 'Worst groups: unreachable first (by availability), then by median latency',
  noLatency: 'No latency values.',
  distributions: 'Distributions (all records)',
  overTime: 'Over time',
  group: 'Group',
  groups: 'Groups',
  sortHint: "Click a column heading to sort. Samples are per record (latency = each test's median RTT); quantiles type 7; throughput p10 is the low tail.",
  map: 'Map',
  mapNote: (n, without) => `${n} site(s) coloured by their group's overall rating${without ? `; ${without} site(s) without coordinates are not drawn` : ''}. Outlines: Natural Earth (public domain).`,
  expectedSilent: 'Expected sites with no records',
  expectedUnknown: 'Expected sites with an unknown location code',
  silentSummary: (s, e) => `${s} of ${e} expected site(s) sent no record`,
  generated: 'Generated',
  title: (by) => `qosprobe report by ${by}`,
};

const id: Labels = {
  lang: 'id',
  name: 'nama',
  records: 'rekaman',
  availPct: 'tersedia%',
  availability: 'ketersediaan',
  fails: 'gagal pada',
  completePct: 'lengkap% (lokasi)',
  mean: 'rerata',
  groupsBy: (n, by, rows, files) => `${n} kelompok menurut ${by} dari ${rows} rekaman dalam ${files} berkas`,
  noRecords: 'tidak ada rekaman',
  outsideRange: (n) => `${n} rekaman di luar --since/--until tidak dihitung`,
  verdicts: (p, pass, fail, none) => `profil ${p}: ${pass} lulus, ${fail} gagal, ${none} tanpa putusan`,
  profile: 'Profil',
  samplesNote: 'Sampel per rekaman: latensi = rtt_median_ms tiap uji; kuantil tipe 7; loss mencakup uji yang kehilangan semua paket (docs/report.md).',
  inputProblems: 'Masalah masukan',
  issuesSummary: (m, u) => `${m} baris rusak, ${u} baris skema tak dikenal: tidak dihitung`,
  duplicatesSummary: (n) => `${n} rekaman terbaca lebih dari sekali (run_id, probe, endpoint, uji dan started_at sama): dihitung sekali`,
  notRated: (metric, why) => `${metric}: tidak dinilai (${why}).`,
  worstTitle: 'Kelompok terburuk: yang tak terjangkau dulu (menurut ketersediaan), lalu menurut median latensi',
  noLatency: 'Tidak ada nilai latensi.',
  distributions: 'Distribusi (semua rekaman)',
  overTime: 'Menurut waktu',
  group: 'Kelompok',
  groups: 'Kelompok',
  sortHint: 'Klik judul kolom untuk mengurutkan. Sampel per rekaman (latensi = median RTT tiap uji); kuantil tipe 7; p10 throughput adalah ekor bawah.',
  map: 'Peta',
  mapNote: (n, without) => `${n} lokasi diwarnai menurut penilaian keseluruhan kelompoknya${without ? `; ${without} lokasi tanpa koordinat tidak digambar` : ''}. Batas wilayah: Natural Earth (domain publik).`,
  expectedSilent: 'Lokasi yang diharapkan tanpa rekaman',
  expectedUnknown: 'Lokasi yang diharapkan dengan kode wilayah tak dikenal',
  silentSummary: (s, e) => `${s} dari ${e} lokasi yang diharapkan tidak mengirim rekaman`,
  generated: 'Dibuat',
  title: (by) => `laporan qosprobe menurut ${by}`,
};

export const LABELS: Record<Lang, Labels> = { en, id };

/** --lang, else the locale of the environment: Indonesian for id / id_ID.UTF-8, English otherwise. */
export function langFromEnv(env: Record<string, string | undefined>): Lang {
  const loc = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^id(?:[_.@-]|$)/i.test(loc) ? 'id' : 'en';
}
