/**
 * Human output in English or Indonesian (field technicians at polling stations read Indonesian): the summary table,
 * progress lines, top-level error prefixes, the commonest messages and the command descriptions in --help.
 * Machine output (records, their field names, status and error codes) is never translated.
 *
 * The language: `--lang id|en`, else the environment's locale (LC_ALL, LC_MESSAGES, LANG: id* → Indonesian), the
 * same rule as the report's labels (report/labels.ts owns it).
 */
import { langFromEnv, type Lang } from '../report/labels.js';
import type { MeasurementErrorCode } from '../core/errors.js';
import { OPTION_HELP_ID } from './i18n-help.js';
import { localizedOf } from '../core/messages.js';

export type { Lang };
export const LANGS: readonly Lang[] = ['en', 'id'];

export interface Messages {
  lang: Lang;
  /** Summary table headers, in column order. */
  tableHead: readonly string[];
  /** A record's status as shown to a person (the record keeps ok / partial / error). */
  status: Record<'ok' | 'partial' | 'error', string>;
  runEnded: (status: string, n: number) => string;
  runStatus: Record<string, string>;
  internalError: string;
  signalAgain: (name: string) => string;
  helpAfterError: string;
  /** commander's usage messages, matched by their English start. */
  usage: readonly [RegExp, string][];
  /** The demo's closing hint; `self` is how the user runs qosprobe (`node bin/qosprobe.js` in a clone). */
  demoRecords: (self: string) => string;
  /** After the examples of `run` and each ad hoc command: they ping the default gateway unless told not to. */
  gatewayNote: string;
  exitCodes: string;
  /** Command descriptions for --help (English ones live with each command). */
  commands: Record<string, string>;
  programDescription: string | null;
  langOption: string;
  /** commander's help headings by their English text (null: commander's own). */
  helpTitles: Readonly<Record<string, string>> | null;
  /** --help option texts by their English text (null: as the commands define them). */
  optionHelp: Readonly<Record<string, string>> | null;
  helpOption: string | null;
  /** The first messages a new user meets. */
  noConfig: (looked: readonly string[]) => string;
  noLocation: (file: string) => string;
  initWrote: (path: string) => string;
  initExists: (path: string) => string;
  /** A second monitor of one config (exit 5). */
  monitorLocked: (config: string, holder: string, lockPath: string) => string;
  /** The monitor's start-up line: what it detects. */
  monitorDetects: (profile: string | null) => string;
  versionOption: string | null;
  /** After a failed test on a terminal: what to check next, by error code (null: the message says it all). */
  nextStep: Record<MeasurementErrorCode, ((target: string) => string) | null>;
  /** The line a run on a terminal ends with: how many records went where, for which location. */
  written: {
    records: (n: number) => string;
    stdout: string;
    appendedTo: (path: string) => string;
    writtenTo: (path: string) => string;
    noLocation: string;
    location: (code: string, name: string | null) => string;
  };
}

const en: Messages = {
  lang: 'en',
  tableHead: ['endpoint', 'test', 'status', 'sent', 'recv', 'loss %', 'rtt med', 'rtt p95', 'jitter', 'throughput'],
  status: { ok: 'ok', partial: 'partial', error: 'error' },
  runEnded: (status, n) => `run ${status}: ${n} record(s) written`,
  runStatus: {},
  internalError: 'internal error (please report it)',
  signalAgain: (name) => `${name} again, exiting now`,
  helpAfterError: '(run with --help for usage)',
  usage: [],
  gatewayNote:
    'By default each test is accompanied by 5 small pings to the default gateway (gateway_rtt_ms, gateway_loss_percent); --no-gateway-ping or QOSPROBE_GATEWAY_PING=0 turns them off, --no-host-info skips the network context and the pings.',
  demoRecords: (self) => `pipe the demo to get the records on stdout: ${self} demo -f ndjson | jq .`,
  exitCodes:
    'Exit codes: 0 ok, 1 test failed (--fail-on-error), 2 usage, 3 config, 4 output, 5 locked, 6 push pending, 70 internal error (a bug: please report it), 130 interrupted.',
  commands: {},
  programDescription: null,
  langOption: 'language of human output: en or id (default from LC_ALL / LC_MESSAGES / LANG: id* → Indonesian); records are never translated',
  optionHelp: null,
  helpTitles: null,
  helpOption: null,
  noConfig: (looked) =>
    `no config file found; looked in: ${looked.join(', ')}. Create one with "qosprobe init", pass --config FILE, or try "qosprobe demo".`,
  noLocation: (file) =>
    `${file}: location.code: expected the region code of this site (e.g. "32.73"), found nothing; set it in the config, $QOSPROBE_LOCATION or --location`,
  initWrote: (path) => `wrote ${path}: edit location.code and endpoints, then run "qosprobe run"`,
  initExists: (path) => `${path} already exists; not overwriting it (remove it or use --out)`,
  monitorLocked: (config, holder, lockPath) =>
    `another monitor of ${config} is already running (${holder}; lock ${lockPath}): two would close each other's incidents. Stop it first (systemctl stop, or kill that pid).`,
  monitorDetects: (profile) => (profile ? `outages and degradations against profile ${profile}` : 'outages only (no monitor.degradation.profile)'),
  versionOption: null,
  nextStep: {
    CONNECT_REFUSED: (t) => `nothing accepts connections at ${t}: is \`qosprobe serve\` (or the service) running there, on that port? Is the port open in its firewall?`,
    TIMEOUT: (t) => `no answer from ${t} in time: is the host up, and does a firewall let the packets through? A longer --timeout helps on a slow link`,
    ALL_LOST: (t) => `every packet to ${t} was lost: is the host up, and does a firewall let this kind of test through?`,
    HOST_UNREACHABLE: (t) => `${t} cannot be reached: check the address and that the host is up (qosprobe ping)`,
    NETWORK_UNREACHABLE: () => 'no route to that network: is this machine connected (cable, Wi-Fi, mobile data)?',
    DNS_FAILED: () => 'the name did not resolve: check its spelling and the DNS server (qosprobe dns NAME)',
    PING_UNAVAILABLE: () => 'install the system ping (Debian/Ubuntu: apt-get install iputils-ping)',
    PING_FAILED: () => 'the system ping refused to run: see the message (permission, option)',
    PING_UNPARSEABLE: () => 'the system ping printed something unexpected: please report it with `ping -V`',
    PROTOCOL_ERROR: (t) => `something else answers at ${t}: is it \`qosprobe serve\` (stamp) or an HTTP server (http)?`,
    HTTP_STATUS: () => 'the server answered with another status: check the URL path, the token and expect_status',
    TLS_FAILED: () => 'check the certificate (ca_file) and whether the URL should be http or https',
    ABORTED: null,
    DEADLINE: () => 'the run reached its --deadline before this test finished: give it more time',
    SOCKET_ERROR: null,
    INTERNAL: () => 'a bug in qosprobe: please report it with this line',
    TRACE_UNAVAILABLE: () => 'install mtr or traceroute (Debian/Ubuntu: apt-get install mtr-tiny)',
    TRACE_FAILED: () => 'the tracing tool refused to run: see the message (permission, option)',
    TRACE_UNPARSEABLE: () => 'the tracing tool printed something unexpected: please report it with its version',
    INTERFACE_NOT_FOUND: () => 'no such network interface here: `ip link` lists them (is the modem plugged in?)',
    INTERFACE_BIND_DENIED: () => 'binding to an interface needs root or CAP_NET_RAW: run as root, or give node the capability',
    INTERFACE_BIND_UNAVAILABLE: () => 'this system or build cannot bind to an interface (Linux with the native addon: npm rebuild qosprobe)',
  },
  written: {
    records: (n) => `${n} record${n === 1 ? '' : 's'}`,
    stdout: 'written to stdout',
    appendedTo: (p) => `appended to ${p}`,
    writtenTo: (p) => `written to ${p}`,
    noLocation: 'no location code',
    location: (code, name) => `location ${code}${name ? ` ${name}` : ' (not in the region table)'}`,
  },
};

const id: Messages = {
  lang: 'id',
  tableHead: ['endpoint', 'uji', 'status', 'kirim', 'terima', 'hilang %', 'rtt median', 'rtt p95', 'jitter', 'throughput'],
  status: { ok: 'ok', partial: 'sebagian', error: 'gagal' },
  runEnded: (status, n) => `pengukuran ${id.runStatus[status] ?? status}: ${n} rekaman ditulis`,
  runStatus: { interrupted: 'dihentikan', deadline: 'melewati batas waktu', completed: 'selesai' },
  internalError: 'galat internal (mohon laporkan)',
  signalAgain: (name) => `${name} lagi, keluar sekarang`,
  helpAfterError: '(jalankan dengan --help untuk cara pakai)',
  usage: [
    [/^unknown command '(.*)'/, "perintah tidak dikenal '$1'"],
    [/^unknown option '(.*)'/, "opsi tidak dikenal '$1'"],
    [/^option '(.*)' argument '(.*)' is invalid\. (.*)$/, "nilai '$2' untuk opsi '$1' tidak sah. $3"],
    [/^option '(.*)' argument missing/, "opsi '$1' perlu nilai"],
    [/^missing required argument '(.*)'/, "argumen '$1' wajib diisi"],
    [/^too many arguments(.*)/, 'terlalu banyak argumen$1'],
    [/^required option '(.*)' not specified/, "opsi wajib '$1' belum diisi"],
    [/^option '(.*)' cannot be used with option '(.*)'/, "opsi '$1' tidak dapat dipakai bersama opsi '$2'"],
    [/^Allowed choices are (.*)\.$/, 'Pilihan yang diizinkan: $1.'],
  ],
  gatewayNote:
    'Secara bawaan setiap uji disertai 5 ping kecil ke gateway bawaan (gateway_rtt_ms, gateway_loss_percent); --no-gateway-ping atau QOSPROBE_GATEWAY_PING=0 mematikannya, --no-host-info melewatkan konteks jaringan beserta ping tersebut.',
  demoRecords: (self) => `salurkan (pipe) demo untuk mendapatkan rekaman di stdout: ${self} demo -f ndjson | jq .`,
  exitCodes:
    'Kode keluar: 0 ok, 1 ada uji gagal (--fail-on-error), 2 cara pakai salah, 3 konfigurasi, 4 keluaran, 5 terkunci, 6 kiriman tertunda, 70 galat internal (bug: mohon laporkan), 130 dihentikan.',
  commands: {
    run: 'jalankan setiap uji yang dikonfigurasi ke setiap endpoint; satu rekaman per (endpoint, uji)',
    ping: 'latensi, jitter dan kehilangan paket ICMP echo ke HOST melalui ping sistem',
    tcp: 'waktu jabat tangan TCP, jitter dan kehilangan ke HOST:PORT',
    http: 'fase permintaan HTTP (DNS, koneksi, TLS, byte pertama, total) ke URL: satu sampel dingin, lalu sampel hangat',
    dns: 'waktu resolusi DNS untuk NAME melalui resolver sistem atau --server',
    download: 'throughput unduhan dari URL melalui beberapa aliran paralel, dengan latensi saat terbebani',
    upload: 'throughput unggahan ke URL melalui beberapa aliran paralel, dengan latensi saat terbebani',
    stamp: 'STAMP/TWAMP-Light (RFC 8762): waktu pulang-pergi, jitter dan kehilangan per arah ke reflektor',
    report: 'agregasikan berkas hasil per lokasi dan nilai terhadap profil mutu (tabel, CSV, JSON, HTML)',
    serve: 'server pengukuran: reflektor STAMP (UDP) dan endpoint HTTP /ping, /down, /up, /health',
    push: 'kirim setiap batch spool yang belum terkirim, yang terlama lebih dulu',
    spool: 'daftar batch di spool (tertunda, terkirim, ditolak); hapus yang lama',
    schedule: 'cetak (tanpa memasang) baris crontab, timer systemd dan perintah schtasks Windows',
    init: 'tulis contoh konfigurasi berkomentar ke ./qosprobe.yaml (tidak pernah menimpa)',
    demo: 'jalankan semua uji ke target loopback yang dimulai sendiri: uji coba tanpa jaringan (tidak ada paket yang keluar dari loopback, termasuk ke gateway)',
    trace:
      'penelusuran jalur per hop ke HOST (mtr, jika tidak ada traceroute; tracert di Windows): kehilangan, RTT dan jitter di setiap hop selama --count putaran. Satu rekaman untuk penelusuran (angka target; trace_loss_hop / trace_delay_hop: di mana kehilangan dan tunda dimulai), lalu satu per hop (hop, hop_address, hop_note). Bawaan: 10 putaran, jeda 1 s (mtr mengizinkan kurang dari 1 s hanya untuk root).',
    monitor: 'ketersediaan terus-menerus: satu paket kecil per detik ke setiap endpoint, satu rekaman jendela per menit, insiden putus dan penurunan mutu, peringatan',
    rules: 'cetak aturan peringatan Prometheus/vmalert atas metrik yang dikirim: satu profil mutu per lokasi, dan lokasi yang diam',
    requeue: 'pindahkan batch yang ditolak kembali ke tertunda, agar push berikutnya mengirimnya lagi',
  },
  programDescription:
    'Probe QoS lapangan: latensi, jitter, kehilangan paket dan throughput, ditandai kode lokasi, sebagai CSV, JSON atau NDJSON.',
  langOption: 'bahasa keluaran untuk manusia: en atau id (bawaan dari LC_ALL / LC_MESSAGES / LANG: id* → Indonesia); rekaman tidak diterjemahkan',
  optionHelp: OPTION_HELP_ID,
  helpTitles: { 'Usage:': 'Cara pakai:', 'Options:': 'Opsi:', 'Commands:': 'Perintah:', 'Arguments:': 'Argumen:', 'Global Options:': 'Opsi global:', 'Examples:': 'Contoh:', '(choices:': '(pilihan:', '(default:': '(bawaan:' },
  helpOption: 'tampilkan bantuan perintah',
  noConfig: (looked) =>
    `berkas konfigurasi tidak ditemukan; sudah dicari di: ${looked.join(', ')}. Buat dengan "qosprobe init", berikan --config FILE, atau coba "qosprobe demo".`,
  noLocation: (file) =>
    `${file}: location.code: kode wilayah lokasi ini (mis. "32.73") belum diisi; isi di konfigurasi, $QOSPROBE_LOCATION atau --location`,
  initWrote: (path) => `${path} ditulis: ubah location.code dan endpoints, lalu jalankan "qosprobe run"`,
  initExists: (path) => `${path} sudah ada; tidak ditimpa (hapus dulu atau pakai --out)`,
  monitorLocked: (config, holder, lockPath) =>
    `monitor lain untuk ${config} sudah berjalan (${holder}; kunci ${lockPath}): dua monitor akan saling menutup insiden. Hentikan dulu (systemctl stop, atau kill pid itu).`,
  monitorDetects: (profile) => (profile ? `gangguan putus dan penurunan mutu menurut profil ${profile}` : 'hanya gangguan putus (monitor.degradation.profile tidak diisi)'),
  versionOption: 'tampilkan nomor versi',
  nextStep: {
    CONNECT_REFUSED: (t) => `tidak ada yang menerima koneksi di ${t}: apakah \`qosprobe serve\` (atau layanannya) berjalan di sana, pada port itu? Apakah port itu dibuka di firewall-nya?`,
    TIMEOUT: (t) => `tidak ada jawaban dari ${t} tepat waktu: apakah host menyala, dan apakah firewall meloloskan paketnya? --timeout yang lebih panjang membantu di jaringan lambat`,
    ALL_LOST: (t) => `semua paket ke ${t} hilang: apakah host menyala, dan apakah firewall meloloskan jenis uji ini?`,
    HOST_UNREACHABLE: (t) => `${t} tidak dapat dijangkau: periksa alamatnya dan pastikan host menyala (qosprobe ping)`,
    NETWORK_UNREACHABLE: () => 'tidak ada rute ke jaringan itu: apakah mesin ini tersambung (kabel, Wi-Fi, data seluler)?',
    DNS_FAILED: () => 'nama tidak dapat diterjemahkan: periksa ejaannya dan server DNS-nya (qosprobe dns NAMA)',
    PING_UNAVAILABLE: () => 'pasang ping sistem (Debian/Ubuntu: apt-get install iputils-ping)',
    PING_FAILED: () => 'ping sistem menolak berjalan: lihat pesannya (izin, opsi)',
    PING_UNPARSEABLE: () => 'ping sistem mencetak sesuatu yang tidak terduga: mohon laporkan beserta `ping -V`',
    PROTOCOL_ERROR: (t) => `ada layanan lain yang menjawab di ${t}: apakah itu \`qosprobe serve\` (stamp) atau server HTTP (http)?`,
    HTTP_STATUS: () => 'server menjawab dengan status lain: periksa path URL, token dan expect_status',
    TLS_FAILED: () => 'periksa sertifikatnya (ca_file) dan apakah URL seharusnya http atau https',
    ABORTED: null,
    DEADLINE: () => 'pengukuran mencapai --deadline sebelum uji ini selesai: beri waktu lebih',
    SOCKET_ERROR: null,
    INTERNAL: () => 'bug di qosprobe: mohon laporkan beserta baris ini',
    TRACE_UNAVAILABLE: () => 'pasang mtr atau traceroute (Debian/Ubuntu: apt-get install mtr-tiny)',
    TRACE_FAILED: () => 'alat penelusur jalur menolak berjalan: lihat pesannya (izin, opsi)',
    TRACE_UNPARSEABLE: () => 'alat penelusur jalur mencetak sesuatu yang tidak terduga: mohon laporkan beserta versinya',
    INTERFACE_NOT_FOUND: () => 'antarmuka jaringan itu tidak ada di sini: `ip link` menampilkan daftarnya (apakah modemnya terpasang?)',
    INTERFACE_BIND_DENIED: () => 'mengikat ke antarmuka memerlukan root atau CAP_NET_RAW: jalankan sebagai root, atau beri node kapabilitas itu',
    INTERFACE_BIND_UNAVAILABLE: () => 'sistem atau build ini tidak dapat mengikat ke antarmuka (Linux dengan addon native: npm rebuild qosprobe)',
  },
  written: {
    records: (n) => `${n} rekaman`,
    stdout: 'ditulis ke stdout',
    appendedTo: (p) => `ditambahkan ke ${p}`,
    writtenTo: (p) => `ditulis ke ${p}`,
    noLocation: 'tanpa kode lokasi',
    location: (code, name) => `lokasi ${code}${name ? ` ${name}` : ' (tidak ada di tabel wilayah)'}`,
  },
};

export const MESSAGES: Record<Lang, Messages> = { en, id };

/** `--lang X` / `--lang=X` anywhere in argv (the last wins), else the environment. Read before commander builds --help. */
export function langOf(argv: readonly string[], env: Record<string, string | undefined>): Lang {
  let found: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--lang') found = argv[i + 1];
    else if (a.startsWith('--lang=')) found = a.slice('--lang='.length);
  });
  return found === 'en' || found === 'id' ? found : langFromEnv(env);
}

/** commander's English usage message ("error: unknown option '-x'\n") in our style and language. */
export function usageLine(s: string, m: Messages): string {
  let line = s.replace(/^error: /, '').replace(/\n$/, '');
  // A value parser's refusal inside commander's sentence ("... is invalid. expected an integer ≥ 1, got "x""): ours, from the catalogue.
  const detail = /(?<=is invalid\. )(.*)$/.exec(line)?.[1];
  const ours = detail === undefined ? undefined : localizedOf(detail);
  if (ours) line = line.slice(0, line.length - (detail as string).length) + ours[m.lang];
  else if (detail !== undefined) for (const [re, to] of m.usage) if (re.test(detail)) line = line.slice(0, line.length - detail.length) + detail.replace(re, to);
  for (const [re, to] of m.usage) {
    if (re.test(line)) {
      line = line.replace(re, to);
      break;
    }
  }
  return `qosprobe: ${line}\n`;
}

/** The messages for a command's io: its --lang, else its environment's locale. */
export function messagesFor(io: { lang?: Lang; env: Record<string, string | undefined> }): Messages {
  return MESSAGES[io.lang ?? langFromEnv(io.env)];
}
