/**
 * Reports each remote fetch of the key source (a key set, or issuer metadata) to the verifier's
 * `keysFetched` / `keysFetchFailed` hooks: URL, status, duration, and for a key set how many
 * keys were kept. With neither hook set, the load runs as it is, with nothing added.
 */
import { since, type FetchedDocument, type VerifierHooks } from '../hooks.js';

export type FetchHooks = Pick<VerifierHooks, 'keysFetched' | 'keysFetchFailed'>;

export function observedFetch<T>(
  document: FetchedDocument,
  url: string,
  hooks: FetchHooks | undefined,
  load: () => Promise<T>,
  describe: (value: T) => { status: number; keyCount?: number },
): Promise<T> {
  const fetched = hooks?.keysFetched;
  const failed = hooks?.keysFetchFailed;
  if (fetched === undefined && failed === undefined) return load();
  const started = performance.now();
  return load().then(
    (value) => {
      const { status, keyCount } = describe(value);
      fetched?.({ document, url, status, durationMs: since(started), keyCount });
      return value;
    },
    (error: unknown) => {
      const status = (error as { status?: unknown } | null)?.status;
      failed?.({
        document,
        url,
        status: typeof status === 'number' ? status : undefined,
        durationMs: since(started),
        reason: error instanceof Error ? error.message : String(error),
      });
      throw error;
    },
  );
}
