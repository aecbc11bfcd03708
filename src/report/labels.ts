/**
 * The words of the human-readable report (table and HTML) in English and Indonesian, chosen by
 * `--lang id|en` or, by default, from LC_ALL / LC_MESSAGES / LANG (id* → Indonesian). Machine
 * formats (csv, json, geojson) keep their English column and key names: tools depend on them.
 * Band labels come from the profile's data (TIPHON's are Indonesian, with English in brackets).
 */
export const LANGS = ['en', 'id'] as const;
export type Lang = (typeof LANGS)[number];

/**
 * The words qosprobe's rating adds around a profile's labels (report/profiles.ts), English → Indonesian. Band labels
 * are the profile's own data (TIPHON's are already Indonesian) and pass through.
 */
export const VERDICT_ID: readonly (readonly [RegExp, string])[] = [
  [/^fail: /, 'gagal: '],
  [/^insufficient data/, 'data tidak cukup'],
  [/\bAvailability\b/g, 'Ketersediaan'],
  [/\boutside every band\b/g, 'di luar semua rentang'],
  [/\b(\d+) of (\d+) expected site\(s\) silent\b/, '$1 dari $2 lokasi yang diharapkan diam'],
];

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
  interrupted(n: number): string;
  /** The per-site link comparison (compare.ts): its heading, and one site's line. */
  bestLinks(key: string, sites: number): string;
  bestLink(site: string, best: string, figures: string, runnerUp: string, lead: string): string;
  /** A verdict or rule label as the rating wrote it in English ("fail: Availability < 80 %"), in this language. */
  verdict(label: string): string;
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
  /** The interactive page (issue 23): drill-down, filters, paging, ties, each site's own truth. */
  worstDown: string;
  worstSlow: string;
  tied(n: number, by: string, value: string, shown: number): string;
  slowTied(n: number, value: string): string;
  moreDown(n: number): string;
  cdfTail(p99: string, max: string): string;
  national: string;
  regions: string;
  sites: string;
  deadSites: string;
  siteList: string;
  search: string;
  status: string;
  statusAll: string;
  statusPass: string;
  statusFail: string;
  statusNone: string;
  statusDown: string;
  statusDead: string;
  operator: string;
  perPage: string;
  prev: string;
  next: string;
  rowsOf(from: string, to: string, n: string): string;
  dropped(cols: string): string;
  seriesNote: string;
  mapHelp: string;
  dead: string;
  code: string;
  site: string;
  notRegions(by: string): string;
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
  interrupted: (n) => `${n} record(s) of interrupted tests (ABORTED: Ctrl-C, SIGTERM) left out: not counted against availability`,
  bestLinks: (key, n) => `Best link per site (by ${key}; verdict, then availability, loss, RTT): ${n} site(s) measured over 2 links or more`,
  bestLink: (site, best, figures, runnerUp, lead) => `  ${site}: ${best} (${figures}), ahead of ${runnerUp} by ${lead}`,
  verdict: (label) => label,
  verdicts: (p, pass, fail, none) => `profile ${p}: ${pass} pass, ${fail} fail, ${none} without a verdict`,
  profile: 'Profile',
  samplesNote: 'Samples are per record: latency = rtt_median_ms of each test; quantiles type 7; loss includes tests that lost every packet (docs/report.md).',
  inputProblems: 'Input problems',
  issuesSummary: (m, u) => `${m} malformed row(s), ${u} row(s) of an unknown schema: not aggregated`,
  duplicatesSummary: (n) => `${n} record(s) read more than once (same run_id, probe, endpoint, test and started_at): counted once`,
  notRated: (metric, why) => `${metric}: not rated (${why}).`,
  worstTitle: 'Worst groups by severity: availability (lowest first), then how long they failed (span of their records), then how many records failed; then the highest median latency',
  noLatency: 'No latency values.',
  distributions: 'Distributions (all records)',
  overTime: 'Over time',
  group: 'Group',
  groups: 'Groups',
  sortHint: "Click a column heading to sort. Samples are per record (latency = each test's median RTT); quantiles type 7; throughput p10 is the low tail.",
  map: 'Map',
  mapNote: (n, without) =>
    `${n} site(s) coloured by their group's overall rating; a site that never answered is black whatever its group${without ? `; ${without} site(s) without coordinates are not drawn` : ''}. Outlines: Natural Earth (public domain).`,
  expectedSilent: 'Expected sites with no records',
  expectedUnknown: 'Expected sites with an unknown location code',
  silentSummary: (s, e) => `${s} of ${e} expected site(s) sent no record`,
  generated: 'Generated',
  title: (by) => `qosprobe report by ${by}`,
  worstDown: 'Unreachable: bar = unavailability (100 − availability), on a 0–100 % scale',
  worstSlow: 'Slowest of the rest: bar = median RTT, scaled to the slowest shown',
  tied: (n, by, v, shown) => `${n} ${by} group(s) at ${v} % availability${n > shown ? ` (${shown} drawn above, ${n - shown} more)` : ''}`,
  slowTied: (n, v) => `${n} more group(s) at the last median drawn, ${v} ms`,
  moreDown: (n) => `${n} more unreachable group(s), each at its own availability: status filter "unreachable" in the table lists them`,
  cdfTail: (p99, max) => `Axis to p99 (${p99}); the top 1 % runs to ${max}.`,
  national: 'Indonesia',
  regions: 'Regions',
  sites: 'sites',
  deadSites: 'dead sites',
  siteList: 'Sites: each with its own records',
  search: 'Search name or code',
  status: 'Status',
  statusAll: 'all',
  statusPass: 'pass',
  statusFail: 'fail',
  statusNone: 'no verdict',
  statusDown: 'unreachable',
  statusDead: 'with a dead site',
  operator: 'Operator',
  perPage: 'rows per page',
  prev: '‹ previous',
  next: 'next ›',
  rowsOf: (a, b, n) => `${a}–${b} of ${n}`,
  dropped: (cols) => `Columns left out (no value in any group): ${cols}.`,
  seriesNote: 'Mean of per-test median RTT per time bucket; a region is the mean of its groups weighted by their records.',
  mapHelp: 'Wheel or +/− to zoom, drag to pan.',
  dead: 'never answered',
  code: 'code',
  site: 'site',
  notRegions: (by) => `Groups are by ${by}, not by region: every level shows them all.`,
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
  interrupted: (n) => `${n} rekaman uji yang dihentikan (ABORTED: Ctrl-C, SIGTERM) tidak dihitung: tidak mengurangi ketersediaan`,
  bestLinks: (key, n) => `Jalur terbaik per lokasi (menurut ${key}; putusan, lalu ketersediaan, kehilangan, RTT): ${n} lokasi diukur lewat 2 jalur atau lebih`,
  bestLink: (site, best, figures, runnerUp, lead) => `  ${site}: ${best} (${figures}), unggul atas ${runnerUp} sebesar ${lead}`,
  verdict: (label) => VERDICT_ID.reduce((s, [re, to]) => s.replace(re, to), label),
  verdicts: (p, pass, fail, none) => `profil ${p}: ${pass} lulus, ${fail} gagal, ${none} tanpa putusan`,
  profile: 'Profil',
  samplesNote: 'Sampel per rekaman: latensi = rtt_median_ms tiap uji; kuantil tipe 7; loss mencakup uji yang kehilangan semua paket (docs/report.md).',
  inputProblems: 'Masalah masukan',
  issuesSummary: (m, u) => `${m} baris rusak, ${u} baris skema tak dikenal: tidak dihitung`,
  duplicatesSummary: (n) => `${n} rekaman terbaca lebih dari sekali (run_id, probe, endpoint, uji dan started_at sama): dihitung sekali`,
  notRated: (metric, why) => `${metric}: tidak dinilai (${why}).`,
  worstTitle: 'Kelompok terburuk menurut keparahan: ketersediaan (terendah dulu), lalu lamanya gagal (rentang rekamannya), lalu banyaknya rekaman gagal; lalu median latensi tertinggi',
  noLatency: 'Tidak ada nilai latensi.',
  distributions: 'Distribusi (semua rekaman)',
  overTime: 'Menurut waktu',
  group: 'Kelompok',
  groups: 'Kelompok',
  sortHint: 'Klik judul kolom untuk mengurutkan. Sampel per rekaman (latensi = median RTT tiap uji); kuantil tipe 7; p10 throughput adalah ekor bawah.',
  map: 'Peta',
  mapNote: (n, without) =>
    `${n} lokasi diwarnai menurut penilaian keseluruhan kelompoknya; lokasi yang tak pernah menjawab berwarna hitam apa pun kelompoknya${without ? `; ${without} lokasi tanpa koordinat tidak digambar` : ''}. Batas wilayah: Natural Earth (domain publik).`,
  expectedSilent: 'Lokasi yang diharapkan tanpa rekaman',
  expectedUnknown: 'Lokasi yang diharapkan dengan kode wilayah tak dikenal',
  silentSummary: (s, e) => `${s} dari ${e} lokasi yang diharapkan tidak mengirim rekaman`,
  generated: 'Dibuat',
  title: (by) => `laporan qosprobe menurut ${by}`,
  worstDown: 'Tak terjangkau: batang = ketaktersediaan (100 − ketersediaan), skala 0–100 %',
  worstSlow: 'Terlambat dari sisanya: batang = median RTT, diskalakan ke yang terlambat',
  tied: (n, by, v, shown) => `${n} kelompok ${by} pada ketersediaan ${v} %${n > shown ? ` (${shown} digambar di atas, ${n - shown} lagi)` : ''}`,
  slowTied: (n, v) => `${n} kelompok lagi pada median terakhir yang digambar, ${v} ms`,
  moreDown: (n) => `${n} kelompok tak terjangkau lagi, masing-masing dengan ketersediaannya sendiri: filter status "tak terjangkau" di tabel menampilkannya`,
  cdfTail: (p99, max) => `Sumbu sampai p99 (${p99}); 1 % teratas sampai ${max}.`,
  national: 'Indonesia',
  regions: 'Wilayah',
  sites: 'lokasi',
  deadSites: 'lokasi mati',
  siteList: 'Lokasi: masing-masing dengan rekamannya sendiri',
  search: 'Cari nama atau kode',
  status: 'Status',
  statusAll: 'semua',
  statusPass: 'lulus',
  statusFail: 'gagal',
  statusNone: 'tanpa putusan',
  statusDown: 'tak terjangkau',
  statusDead: 'ada lokasi mati',
  operator: 'Operator',
  perPage: 'baris per halaman',
  prev: '‹ sebelumnya',
  next: 'berikutnya ›',
  rowsOf: (a, b, n) => `${a}–${b} dari ${n}`,
  dropped: (cols) => `Kolom yang tidak ditampilkan (tanpa nilai di kelompok mana pun): ${cols}.`,
  seriesNote: 'Rerata median RTT per uji per selang waktu; wilayah = rerata kelompoknya berbobot jumlah rekaman.',
  mapHelp: 'Roda tetikus atau +/− untuk memperbesar, seret untuk menggeser.',
  dead: 'tak pernah menjawab',
  code: 'kode',
  site: 'lokasi',
  notRegions: (by) => `Kelompok menurut ${by}, bukan menurut wilayah: semua ditampilkan di setiap tingkat.`,
};

export const LABELS: Record<Lang, Labels> = { en, id };

/** --lang, else the locale of the environment: Indonesian for id / id_ID.UTF-8, English otherwise. */
export function langFromEnv(env: Record<string, string | undefined>): Lang {
  const loc = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^id(?:[_.@-]|$)/i.test(loc) ? 'id' : 'en';
}
