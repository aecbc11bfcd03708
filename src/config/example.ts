/** The commented example config that `qosprobe init` writes (and the tests validate). */
export const EXAMPLE_CONFIG = `# qosprobe configuration (YAML; JSON also works). Full reference: README.md and docs/schema.md.
# Precedence: built-in defaults < this file < environment ($QOSPROBE_LOCATION) < command-line flags.

probe:
  id: bdg-tps-017          # names this probe in every record; defaults to the hostname

location:
  code: "32.73"            # Kemendagri region code: 32 | 32.73 | 32.73.01 | 32.73.01.1001 (quote it)
  site: TPS-017            # optional free text: polling station, tower, office
  lat: -6.9147             # optional, WGS 84 degrees
  lon: 107.6098

# Applied to every test unless the test sets its own value.
defaults:
  count: 20                # packets or attempts per test
  interval_ms: 200         # time between them
  timeout_ms: 2000         # loss threshold: a reply later than this counts as lost

endpoints:
  - name: local            # a label for the records; defaults to the host
    host: 127.0.0.1        # name or IP address (IPv6 too)
    tests:
      - icmp                                # system ping; options: size (bytes), family (4 or 6)
      - { kind: tcp, port: 8080, count: 10 }  # TCP handshake time to host:port
  # Against a \`qosprobe serve\` at host (uncomment). A url that is a path goes to port 8080, serve's default:
  # a serve started with --http-port 18080 needs port: 18080 on each http, download and upload test.
  # - name: reflector
  #   host: 127.0.0.1
  #   tests:
  #     - { kind: stamp, port: 862 }                                  # serve --stamp-port
  #     - { kind: http, url: /ping, port: 8080 }                      # serve --http-port
  #     - { kind: download, url: "/down?bytes={bytes}", port: 8080, duration_s: 10 }
  #     - { kind: upload, url: /up, port: 8080, duration_s: 10 }

output:
  format: csv              # csv | json | ndjson
  path: results.csv        # omit to write to stdout
  append: true             # csv/ndjson: add to the file, header once
`;
