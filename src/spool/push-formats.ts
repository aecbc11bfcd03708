/** Push body formats; a module of its own so the CLI can list them without loading the pusher. */
export const PUSH_FORMATS = ['ndjson', 'influx', 'openmetrics', 'vmimport'] as const;
export type PushFormat = (typeof PUSH_FORMATS)[number];
