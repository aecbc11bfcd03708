import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';
import { nonNegativeNumber, positiveInt, positiveNumber } from '../options.js';
import { hostOf, tokenOption } from './http.js';

/** `download` and `upload` share every option: one factory, two commands. */
function makeTransferCommand(kind: 'download' | 'upload', description: string, examples: string[], io: CliIo) {
  return makeAdhocCommand(
    {
      name: kind,
      kind,
      argument: '<url>',
      description,
      examples,
      options: (cmd) =>
        cmd
          .option('-d, --duration <seconds>', 'how long to transfer (default 10)', positiveNumber)
          // No -s: it means the packet size in ping and stamp.
          .option('--streams <n>', 'parallel connections (default 4)', positiveInt)
          .option('-w, --warmup <seconds>', 'excluded from the steady-state figures (default min(20% of the test, 2 s))', nonNegativeNumber)
          .option('--bytes <n>', 'bytes per request ({bytes} in the URL; default 100000000)', positiveInt)
          .option('--ping-url <url>', 'where RTT under load is sampled (default /ping on the same origin)')
          .option('--ca-file <file>', 'trust this CA certificate (PEM) too')
          .option('-k, --insecure', 'accept any TLS certificate')
          .addOption(tokenOption()),
      toTest: (arg, o) => ({
        host: hostOf(arg),
        fields: { url: arg, duration_s: o.duration, streams: o.streams, warmup_s: o.warmup, bytes: o.bytes, ping_url: o.pingUrl, ca_file: o.caFile, insecure: o.insecure, token: o.token },
      }),
    },
    io,
  );
}

export const makeDownloadCommand = (io: CliIo) =>
  makeTransferCommand(
    'download',
    'download throughput from URL (a template: {bytes} becomes the request size) over parallel streams, with latency under load',
    ['qosprobe download "http://127.0.0.1:8080/down?bytes={bytes}" --duration 5 --streams 4', 'qosprobe download "https://speed.example/__down?bytes={bytes}" --bytes 25000000 --format ndjson'],
    io,
  );

export const makeUploadCommand = (io: CliIo) =>
  makeTransferCommand(
    'upload',
    'upload throughput to URL (POST of generated incompressible bytes) over parallel streams, with latency under load',
    ['qosprobe upload http://127.0.0.1:8080/up --duration 5 --streams 4', 'qosprobe upload https://speed.example/__up --bytes 25000000 --format ndjson'],
    io,
  );
