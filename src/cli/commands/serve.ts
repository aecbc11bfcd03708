import { Command } from 'commander';
import { appIoOf, type CliIo } from '../io.js';
import { examples, port, positiveInt } from '../options.js';
import { SERVE_DEFAULTS } from '../../core/serve-defaults.js';
import type { ServeFlags } from '../../app/serve.js';

/** Port parser that also takes 0 (any free port), handy for tests and for running beside another server. */
function portOrZero(v: string): number {
  return v.trim() === '0' ? 0 : port(v);
}

export function makeServeCommand(io: CliIo): Command {
  const cmd = new Command('serve').description(
    'run the measurement server: a STAMP reflector (UDP) and HTTP endpoints for throughput tests, until SIGTERM or Ctrl-C',
  );
  // serve reads no config file, so defaults can live in commander here.
  cmd
    .option('--host <address>', 'bind address (default: all, IPv6 and IPv4)')
    .option('--stamp-port <port>', 'UDP port of the STAMP reflector (ports < 1024 need root or CAP_NET_BIND_SERVICE)', portOrZero, SERVE_DEFAULTS.stampPort)
    .option('--http-port <port>', 'TCP port of the HTTP endpoints', portOrZero, SERVE_DEFAULTS.httpPort)
    .option('--stateful', 'keep a per-session reflector counter so senders can tell upstream from downstream loss')
    .option('--max-bytes <n>', 'largest /down or /up transfer, bytes', positiveInt, SERVE_DEFAULTS.maxBytes)
    .option('--max-concurrent <n>', 'concurrent HTTP transfers', positiveInt, SERVE_DEFAULTS.maxConcurrent)
    .option('--token <token>', 'require "Authorization: Bearer <token>" on the HTTP endpoints (default: $QOSPROBE_SERVE_TOKEN)')
    .option('--rate-limit <pps>', 'STAMP packets per second accepted from one source address', positiveInt, SERVE_DEFAULTS.rateLimitPps)
    .option('-q, --quiet', 'no log lines on stderr')
    .addHelpText(
      'after',
      examples(
        'qosprobe serve --stamp-port 8862 --http-port 8080          # unprivileged ports',
        'sudo qosprobe serve --stateful                              # IANA port 862, loss split per direction',
        'qosprobe serve --host 127.0.0.1 --stamp-port 8862 & qosprobe stamp 127.0.0.1:8862',
        'QOSPROBE_SERVE_TOKEN=s3cret qosprobe serve --rate-limit 200',
      ),
    );
  cmd.action(async (o: ServeFlags) => {
    const { serve } = await import('../../app/serve.js');
    // The log's reader may go away (`serve 2> fifo` read by `head -1`; a log shipper restarting): the write then fails
    // with EPIPE, and an 'error' nobody listens to would end the server. Serving matters more than its log: stop logging.
    let logging = true;
    io.stderr.on('error', () => {
      logging = false;
    });
    const say = (line: string) => {
      if (logging) io.stderr.write(line);
    };
    io.setExitCode(await serve({ ...appIoOf(io), events: { say } }, o));
  });
  return cmd;
}
