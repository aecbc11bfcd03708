import { Option } from 'commander';
import { makeAdhocCommand } from '../adhoc.js';
import type { CliIo } from '../io.js';

export function makeHttpCommand(io: CliIo) {
  return makeAdhocCommand(
    {
      name: 'http',
      kind: 'http',
      argument: '<url>',
      description: 'HTTP request phases (DNS, connect, TLS, time to first byte, total) to URL: a cold sample, then warm ones on the kept-alive connection',
      examples: [
        'qosprobe http http://127.0.0.1:8080/ping',
        'qosprobe http https://intranet.example/health --ca-file ca.pem --count 10',
        'qosprobe http http://[::1]:8080/ --expect-status 404 --format ndjson',
      ],
      options: (cmd) =>
        cmd
          .option('--expect-status <status>', 'accepted status: a code (204) or a class (2xx, the default)')
          .option('--ca-file <file>', 'trust this CA certificate (PEM) too')
          .option('-k, --insecure', 'accept any TLS certificate')
          .addOption(tokenOption())
          .addOption(new Option('--max-redirects <n>', 'redirects to follow (0: report the 3xx)').argParser(numberOrText)),
      toTest: (arg, o) => ({
        host: hostOf(arg),
        fields: { url: arg, expect_status: o.expectStatus, ca_file: o.caFile, insecure: o.insecure, token: o.token, max_redirects: o.maxRedirects },
      }),
    },
    io,
  );
}

/** A header, not a query param: request URLs get persisted in logs. The environment keeps it out of shell history. */
export function tokenOption(): Option {
  return new Option('--token <token>', 'bearer token of a `qosprobe serve --token`').env('QOSPROBE_TOKEN');
}

/** The URL's host, for the record's endpoint context; an unparseable URL is caught by the probe's own validation. */
export function hostOf(url: string): string {
  try {
    return new URL(url.replaceAll('{bytes}', '0')).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return url;
  }
}

/** A number when it reads as one; otherwise the text, so the bounds check (the config field's) shows what was typed. */
function numberOrText(v: string): number | string {
  return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
}
