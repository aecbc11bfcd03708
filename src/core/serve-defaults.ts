/**
 * `qosprobe serve`'s defaults, in a module of their own: the server, the serve command's --help (without loading the
 * server) and the probes that target a serve (stamp's port, the http/download/upload tests' port for a bare path)
 * read these, so they can't drift apart.
 */
export const SERVE_DEFAULTS = {
  /** UDP port of the STAMP reflector: IANA's for STAMP (RFC 8762). */
  stampPort: 862,
  /** TCP port of the HTTP endpoints. */
  httpPort: 8080,
  rateLimitPps: 1000,
  maxBytes: 1_000_000_000,
  maxConcurrent: 8,
} as const;
