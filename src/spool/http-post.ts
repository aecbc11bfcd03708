/**
 * One bounded HTTP request with node:http(s): no dependency to load for a push, and every
 * phase (connect, headers, body) under one timeout. Errors come back as data for the retry loop.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gunzipSync } from 'node:zlib';

export interface PostResult {
  /** HTTP status, or null when no response arrived (network error, timeout, abort). */
  status: number | null;
  /** Retry-After in ms when the server sent one (429/503). */
  retryAfterMs: number | null;
  /** Error code (ECONNREFUSED, TIMEOUT, ABORTED, ...) when status is null. */
  errorCode: string | null;
  /** First bytes of the response body, for the message. */
  bodySnippet: string;
  /** The whole body (gunzipped), only when `keepBodyBytes` asked for it and it fit, gzipped and gunzipped. */
  body?: string;
}

export async function postOnce(
  url: URL,
  body: Buffer,
  headers: Record<string, string>,
  opts: { timeoutMs: number; signal?: AbortSignal; method?: string; keepBodyBytes?: number },
): Promise<PostResult> {
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
    method: opts.method ?? 'POST',
    headers: { ...headers, 'content-length': String(body.length) },
    agent: false, // one connection per request: a half-dead keep-alive socket must not eat the next retry
  });
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const fail = (code: string) => {
      finish({ status: null, retryAfterMs: null, errorCode: code, bodySnippet: '' });
      req.destroy();
    };
    const timer = setTimeout(() => fail('TIMEOUT'), opts.timeoutMs);
    const onAbort = () => fail('ABORTED');
    if (opts.signal?.aborted) return fail('ABORTED');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'SOCKET_ERROR'));
    req.on('response', (res) => {
      let snippet = '';
      const kept: Buffer[] = [];
      let keptBytes = 0;
      res.on('data', (d: Buffer) => {
        if (snippet.length < 300) snippet += d.toString('utf8', 0, Math.min(d.length, 300));
        keptBytes += d.length;
        if (opts.keepBodyBytes && keptBytes <= opts.keepBodyBytes) kept.push(d);
      });
      // Only a complete response counts: a 2xx whose body is cut off may not have been stored.
      res.on('end', () => {
        let body: string | undefined;
        if (opts.keepBodyBytes && keptBytes <= opts.keepBodyBytes) {
          try {
            const raw = Buffer.concat(kept);
            // Bounded: a few MB of gzip can hold GBs (issue 24: 3 MB of zeros-gzip took push to 6.3 GB); zlib stops at the bound.
            const maxOutputLength = opts.keepBodyBytes;
            body = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw, { maxOutputLength }) : raw).toString('utf8');
          } catch {
            body = undefined; // not gzip after all, or larger than asked for: no body rather than a wrong one
          }
        }
        finish({ status: res.statusCode ?? null, retryAfterMs: retryAfter(res.headers['retry-after']), errorCode: null, bodySnippet: snippet.slice(0, 300), body });
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'SOCKET_ERROR'));
      res.on('aborted', () => fail('ECONNRESET'));
    });
    req.end(body);
  });
}

function retryAfter(v: string | string[] | undefined): number | null {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return null;
  const n = Number(s);
  if (Number.isFinite(n) && n >= 0) return n * 1000;
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : null;
}
