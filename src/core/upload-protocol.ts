/**
 * How the upload probe and `qosprobe serve` count an upload where its bytes arrive (docs/metrics.md, throughput):
 * each /up carries the test's id and the send time on the test's timeline in two headers; the server bins arrivals
 * per id; the probe reads the bins back from /up-stats. Both sides read this module, so the wire format has one
 * owner (test/integration/serve-http.test.ts checks a server's answer parses).
 */
export const UPLOAD_ID_HEADER = 'x-qosprobe-upload-id';
export const UPLOAD_OFFSET_HEADER = 'x-qosprobe-offset-ms';
/** Set by a server that counts uploads on arrival, on its /up answers. */
export const UPLOAD_STATS_HEADER = 'x-qosprobe-upload-stats';
export const UPLOAD_STATS_PATH = '/up-stats';

/** An upload id as the server accepts it; the probe sends 16 base64url characters. */
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const UPLOAD_ID_RULE = '8 to 64 characters of A-Z a-z 0-9 _ -';

/** The URL path + query that asks for the bins of `id`. */
export const uploadStatsPath = (id: string): string => `${UPLOAD_STATS_PATH}?id=${encodeURIComponent(id)}`;

/** The /up-stats body: the bins (bytes per interval, from the test's start) as a comma-joined list, written by the server straight from its slab. */
export const uploadStatsBody = (intervalMs: number, binsJoined: string): string => `{"intervalMs":${intervalMs},"bins":[${binsJoined}]}\n`;

/** Receiver bins from a /up-stats answer; null when it is not one (another server, an error, another interval). */
export function parseUploadStats(text: string | undefined, intervalMs: number): number[] | null {
  if (text === undefined) return null;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof j !== 'object' || j === null) return null;
  const { intervalMs: got, bins } = j as { intervalMs?: unknown; bins?: unknown };
  if (got !== intervalMs || !Array.isArray(bins)) return null;
  if (!bins.every((b): b is number => typeof b === 'number' && Number.isSafeInteger(b) && b >= 0)) return null;
  return bins;
}
