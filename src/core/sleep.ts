/**
 * The one abortable sleep: resolves true after `ms`, or false as soon as the signal fires (never rejects, leaves no
 * timer or listener behind). Pacing, push's retry back-off, the splay of an unattended run and the monitor's
 * retired sessions wait with it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
