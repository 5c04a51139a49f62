/**
 * A key source that finds the issuer's `jwks_uri` in its metadata (the `jwksUri` option):
 * OpenID Connect discovery first, then RFC 8414. The metadata is cached and refreshed under the
 * same rules as a key set (`CachedDocument`); keys are delegated to a `RemoteJwks` for the
 * discovered URI. Nothing is guessed: a metadata failure is our 503, saying what to set.
 */
import type { JWK, JWTHeader, JwksOptions, KeySource } from '../types.js';
import { checkUrl, fetchJson } from './fetch-json.js';
import { CachedDocument, resolveJwksOptions, type Loaded, type ResolvedJwksOptions } from './cached-document.js';
import { createRemoteJwks, type RemoteJwks } from './remote-jwks.js';
import type { CheckedSeed, KeyCacheSnapshot } from './seed.js';
import { observedFetch, type FetchHooks } from './observed-fetch.js';
import { ConfigurationError, type KeysUnavailableError } from '../errors.js';

/** Every metadata location failed; `documentRefused` when one answered with a document we refused. */
class MetadataUnusable extends Error {
  constructor(
    message: string,
    readonly documentRefused: boolean,
  ) {
    super(message);
  }
}

export interface DiscoveredJwks extends KeySource {
  readonly issuer: string;
  /** The `jwks_uri` from the issuer's metadata, once discovered. */
  readonly jwksUri: string | undefined;
  /** The metadata document that named it. */
  readonly metadataUri: string | undefined;
  /** Metadata documents requested (the OIDC and RFC 8414 ones count separately). */
  readonly metadataFetchCount: number;
  /** All requests made: metadata plus key sets, including those of a replaced key source. */
  readonly fetchCount: number;
  /** The key source for `jwksUri`, once discovered. */
  readonly jwks: RemoteJwks | undefined;
  /** Why the most recent metadata refresh failed; undefined once one succeeds. */
  readonly lastError: string | undefined;
  /** Discovers and fetches the key set now unless fresh; rejects with our 503 saying what failed. */
  ready(): Promise<void>;
  /** Where discovery found the keys, and the keys, for a `KeyCacheSnapshot`; undefined before both. */
  snapshot(): Pick<KeyCacheSnapshot, 'metadata' | 'jwks'> | undefined;
}

interface Discovered {
  jwksUri: string;
  metadataUri: string;
}

/** Where the metadata of `issuer` may be, in the order they are tried. */
export function metadataUrls(issuer: string): [oidc: string, rfc8414: string] {
  const { origin, pathname } = new URL(issuer);
  return [
    // OpenID Connect Discovery 1.0 §4: the issuer with its trailing slash collapsed.
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path,
    // whose terminating slash is removed first.
    `${origin}/.well-known/oauth-authorization-server${pathname.replace(/\/$/, '')}`,
  ];
}

/**
 * The `jwks_uri` a metadata document names, or the reason it cannot be used. The issuer must
 * match exactly (RFC 8414 §3.3, OIDC Discovery §4.3), so a look-alike document is never trusted.
 */
export function readJwksUri(metadata: unknown, issuer: string): string | { refused: string; slashOnly?: string } {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return { refused: 'not a JSON object' };
  }
  const { issuer: claimed, jwks_uri: jwksUri } = metadata as { issuer?: unknown; jwks_uri?: unknown };
  if (claimed !== issuer) {
    const refused = `issuer mismatch (the metadata says ${JSON.stringify(claimed)}, expected ${JSON.stringify(issuer)})`;
    // Still refused (RFC 8414 §3.3), but named: the commonest Auth0 mistake.
    return typeof claimed === 'string' && differsBySlashOnly(claimed, issuer) ? { refused, slashOnly: claimed } : { refused };
  }
  if (typeof jwksUri !== 'string' || jwksUri === '') return { refused: 'no jwks_uri' };
  const refusal = checkUrl(jwksUri);
  if (refusal) return { refused: `jwks_uri ${refusal.message}` };
  return jwksUri;
}

function differsBySlashOnly(a: string, b: string): boolean {
  return a !== b && a.replace(/\/$/, '') === b.replace(/\/$/, '');
}

/** The configuration error of an `issuer` that differs from the issuer's own by its trailing slash. */
export function issuerSlashError(configured: string, actual: string, metadataUri: string): ConfigurationError {
  const advice = actual.endsWith('/')
    ? `your \`issuer\` lacks the trailing slash the issuer uses: set it to ${actual}`
    : `your \`issuer\` has a trailing slash the issuer does not use: set it to ${actual}`;
  return new ConfigurationError(
    `${advice} (the metadata at ${metadataUri} says ${JSON.stringify(actual)}, the verifier is configured with ${JSON.stringify(configured)}; tokens carry the issuer's spelling)`,
    'issuer_misconfigured',
  );
}

class DiscoveredJwksSource implements DiscoveredJwks {
  private readonly cache: CachedDocument<Discovered>;
  private current: RemoteJwks | undefined;
  private metadataRequests = 0;
  private retiredFetches = 0;

  constructor(
    readonly issuer: string,
    private readonly options: ResolvedJwksOptions,
    jwksOptions: JwksOptions | undefined,
    private readonly hooks: FetchHooks | undefined,
    seed: CheckedSeed | undefined,
  ) {
    this.cache = new CachedDocument(async () => {
      const loaded = await this.discover();
      this.use(loaded.value.jwksUri, jwksOptions);
      return loaded;
    }, options);
    if (seed?.metadata !== undefined) {
      const { jwksUri, metadataUri, fetchedAt, maxAge } = seed.metadata;
      this.current = createRemoteJwks(jwksUri, jwksOptions, hooks, seed.jwks);
      this.cache.seed({ jwksUri, metadataUri }, fetchedAt, maxAge);
    }
  }

  snapshot(): Pick<KeyCacheSnapshot, 'metadata' | 'jwks'> | undefined {
    const found = this.cache.value;
    const jwks = this.current?.snapshot()?.jwks;
    const { fetchedAt, maxAge } = this.cache;
    if (found === undefined || jwks === undefined || fetchedAt === undefined || maxAge === undefined) return undefined;
    return { metadata: { ...found, fetchedAt, maxAge }, jwks };
  }

  getKey(header: JWTHeader): JWK | Promise<JWK> {
    const now = Date.now();
    // Discovered and fresh: the key source answers, synchronously when it can.
    if (this.current !== undefined && now < this.cache.expiresAt) return this.current.getKey(header);
    if (!this.cache.mayFetch(now)) return this.answer(header, now);
    const refreshed = this.cache.refresh();
    if (this.cache.servingThroughOutage(now) !== undefined) return this.answer(header, now);
    return refreshed.then(() => this.answer(header, Date.now()));
  }

  /** Current while the key source of the discovered `jwks_uri` still holds it. */
  isCurrent(key: JWK): boolean {
    return this.current !== undefined && this.current.isCurrent(key);
  }

  private answer(header: JWTHeader, now: number): JWK | Promise<JWK> {
    // A usable metadata copy always has its key source: `use` ran before it was stored.
    if (this.cache.usable(now) === undefined || this.current === undefined) throw this.unavailable(now);
    return this.current.getKey(header);
  }

  /** Tries each metadata location in turn; the error lists every attempt. */
  private async discover(): Promise<Loaded<Discovered>> {
    const failures: string[] = [];
    let refusedDocuments = 0;
    for (const url of metadataUrls(this.issuer)) {
      this.metadataRequests++;
      try {
        const fetch = () => fetchJson(url, { timeout: this.options.timeoutMs, maxBytes: this.options.maxResponseBytes, fetch: this.options.fetch });
        const { json, maxAge } = await observedFetch('metadata', url, this.hooks, fetch, (fetched) => ({ status: fetched.status }));
        const jwksUri = readJwksUri(json, this.issuer);
        if (typeof jwksUri === 'string') return { value: { jwksUri, metadataUri: url }, maxAge };
        if (jwksUri.slashOnly !== undefined) throw issuerSlashError(this.issuer, jwksUri.slashOnly, url);
        refusedDocuments++;
        failures.push(`${url}: ${jwksUri.refused}`);
      } catch (error) {
        if (error instanceof ConfigurationError) throw error;
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    throw new MetadataUnusable(
      `no usable metadata for issuer ${this.issuer} (tried ${failures.join('; ')}); ` +
        `fix the issuer's metadata or set jwksUri to its JWKS URL`,
      refusedDocuments > 0,
    );
  }

  /**
   * Discovers and fetches the key set now, rejecting with the configuration error or our 503.
   * A readiness probe may call it every second through an outage: it fetches only when the
   * cooldown allows, and a copy still usable (within `maxStale`) counts as ready.
   */
  async ready(): Promise<void> {
    const now = Date.now();
    if ((this.current === undefined || now >= this.cache.expiresAt) && this.cache.mayFetch(now)) await this.cache.refresh();
    const failure = this.cache.failure;
    if (failure instanceof ConfigurationError) throw failure;
    if (this.current === undefined || this.cache.usable(Date.now()) === undefined) throw this.unavailable(Date.now());
    await this.current.ready();
  }

  /** Our failure to discover: a configuration error as such, otherwise the 503. */
  private unavailable(now: number): ConfigurationError | KeysUnavailableError {
    const failure = this.cache.failure;
    if (failure instanceof ConfigurationError) return failure;
    return this.cache.unavailable(now, 'issuer metadata', this.issuer, failure instanceof MetadataUnusable && failure.documentRefused ? 'issuer_metadata_invalid' : 'keys_unavailable');
  }

  /** Keeps the key source when the URI is unchanged (and so its cached keys); replaces it otherwise. */
  private use(jwksUri: string, jwksOptions: JwksOptions | undefined): void {
    if (this.current?.uri === jwksUri) return;
    this.retiredFetches += this.current?.fetchCount ?? 0;
    this.current = createRemoteJwks(jwksUri, jwksOptions, this.hooks);
  }

  get jwksUri(): string | undefined {
    return this.cache.value?.jwksUri;
  }
  get metadataUri(): string | undefined {
    return this.cache.value?.metadataUri;
  }
  get metadataFetchCount(): number {
    return this.metadataRequests;
  }
  get fetchCount(): number {
    return this.metadataRequests + this.retiredFetches + (this.current?.fetchCount ?? 0);
  }
  get jwks(): RemoteJwks | undefined {
    return this.current;
  }
  get lastError(): string | undefined {
    return this.cache.failure?.message;
  }
}

/**
 * A key source for an issuer without a configured `jwksUri`. Throws a TypeError at once when the
 * issuer cannot have fetchable metadata (not an https URL, or has a query or fragment).
 */
export function createDiscoveredJwks(issuer: string, options?: JwksOptions, hooks?: FetchHooks, seed?: CheckedSeed): DiscoveredJwks {
  const refusal = checkUrl(issuer);
  if (refusal) throw new TypeError(`cannot discover keys for issuer ${refusal.message}; set jwksUri`);
  const { search, hash } = new URL(issuer);
  if (search !== '' || hash !== '') {
    throw new TypeError(`cannot discover keys for issuer ${issuer}: an issuer has no query or fragment (RFC 8414 §2); set jwksUri`);
  }
  return new DiscoveredJwksSource(issuer, resolveJwksOptions(options), options, hooks, seed);
}
