/**
 * The output format names, in a module of their own: the CLI lists them in --help without
 * loading the serialisers (csv-stringify, the monitoring formats). formats.ts must define
 * exactly these (checked by its `satisfies`).
 */
export const FORMAT_NAMES = ['csv', 'ndjson', 'json', 'influx', 'openmetrics'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s);
}
