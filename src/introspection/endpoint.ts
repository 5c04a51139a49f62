/**
 * Where to introspect: the configured `endpoint`, or the `introspection_endpoint` of the issuer's
 * metadata (OpenID Connect discovery, then RFC 8414, as for `jwks_uri`; a document whose `issuer`
 * differs is refused). A discovered endpoint is kept `REDISCOVER_MS`; a failed discovery is
 * retried at most once per `RETRY_MS`, requests in between failing at once (our 503).
 */
import { metadataUrls } from '../keys/discovery.js';
import { checkUrl, fetchJson } from '../keys/fetch-json.js';

export const REDISCOVER_MS = 10 * 60_000;
export const RETRY_MS = 5_000;

export interface EndpointSource {
  /** The endpoint URL; rejects with an Error whose message says what failed and what to set. */
  (): string | Promise<string>;
}

export interface FetchLimits {
  timeout: number;
  maxBytes: number;
  fetch?: typeof fetch;
}

export function createEndpointSource(configured: string | undefined, issuer: string, limits: FetchLimits): EndpointSource {
  if (configured !== undefined) {
    const refusal = typeof configured === 'string' ? checkUrl(configured) : new Error('not a string');
    if (refusal) throw new TypeError(`\`introspection.endpoint\` ${refusal.message}`);
    return () => configured;
  }
  const refusal = checkUrl(issuer);
  if (refusal) throw new TypeError(`cannot discover the introspection endpoint of issuer ${refusal.message}; set introspection.endpoint`);

  let found: { url: string; until: number } | undefined;
  let failed: { error: Error; until: number } | undefined;
  let pending: Promise<string> | undefined;
  return () => {
    const now = Date.now();
    if (found !== undefined && now < found.until) return found.url;
    if (failed !== undefined && now < failed.until) return Promise.reject(failed.error);
    pending ??= discover(issuer, limits).then(
      (url) => {
        found = { url, until: Date.now() + REDISCOVER_MS };
        failed = undefined;
        pending = undefined;
        return url;
      },
      (error: Error) => {
        failed = { error, until: Date.now() + RETRY_MS };
        pending = undefined;
        // A known endpoint keeps serving while rediscovery fails.
        if (found !== undefined) return found.url;
        throw error;
      },
    );
    return pending;
  };
}

async function discover(issuer: string, limits: FetchLimits): Promise<string> {
  const failures: string[] = [];
  for (const url of metadataUrls(issuer)) {
    try {
      const { json } = await fetchJson(url, { timeout: limits.timeout, maxBytes: limits.maxBytes, fetch: limits.fetch });
      const endpoint = readIntrospectionEndpoint(json, issuer);
      if (typeof endpoint === 'string') return endpoint;
      failures.push(`${url}: ${endpoint.refused}`);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`no introspection_endpoint in the metadata of issuer ${issuer} (tried ${failures.join('; ')}); set introspection.endpoint`);
}

/** The metadata's `introspection_endpoint` (RFC 8414 §2), or why it cannot be used. */
export function readIntrospectionEndpoint(metadata: unknown, issuer: string): string | { refused: string } {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return { refused: 'not a JSON object' };
  const { issuer: claimed, introspection_endpoint: endpoint } = metadata as { issuer?: unknown; introspection_endpoint?: unknown };
  if (claimed !== issuer) return { refused: `issuer mismatch (the metadata says ${JSON.stringify(claimed)}, expected ${JSON.stringify(issuer)})` };
  if (typeof endpoint !== 'string' || endpoint === '') return { refused: 'no introspection_endpoint' };
  const refusal = checkUrl(endpoint);
  if (refusal) return { refused: `introspection_endpoint ${refusal.message}` };
  return endpoint;
}
