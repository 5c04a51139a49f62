/**
 * A key source backed by one JWKS URL, following README's "Key source behaviour": the last good
 * set is served from memory (synchronously) until its max age; past it, or for an unknown `kid`,
 * it is refetched, with concurrent callers sharing the one fetch: an unknown `kid` may trigger a
 * fetch 5 s after a routine one (so a rotation the issuer did not pre-publish is seen within
 * seconds), then at most once per cooldown window; when refreshes fail, the last good set serves until `maxStale`, then lookups are our 503.
 *
 * The refresh rules live in `CachedDocument` (cached-document.ts), which discovery reuses for
 * issuer metadata.
 */
import { invalidToken } from '../errors.js';
import { quote } from '../quote.js';
import type { JWK, JWTHeader, JwksOptions, KeySource } from '../types.js';
import { CachedDocument, resolveJwksOptions, type ResolvedJwksOptions } from './cached-document.js';
import { checkUrl, fetchJson } from './fetch-json.js';
import { observedFetch, type FetchHooks } from './observed-fetch.js';
import type { CheckedSeed, KeyCacheSnapshot } from './seed.js';
import { selectKey } from './select.js';

export interface RemoteJwks extends KeySource {
  readonly uri: string;
  /** Fetches started so far (successful or not). */
  readonly fetchCount: number;
  /** The cached key set (empty before the first successful fetch). */
  readonly keys: readonly JWK[];
  /** When the cached set was fetched (ms since the epoch), if ever. */
  readonly fetchedAt: number | undefined;
  /** The lifetime applied to the cached set, seconds (Cache-Control max-age, clamped, or `cacheMaxAge`). */
  readonly maxAge: number | undefined;
  /** Why the most recent fetch failed; undefined once one succeeds. */
  readonly lastError: string | undefined;
  /** Fetches the set now (unless fresh); rejects with our 503 when it cannot be had. */
  ready(): Promise<void>;
  isCurrent(key: JWK): boolean;
  /** The cached set and its times, for a `KeyCacheSnapshot`; undefined before the first fetch. */
  snapshot(): Pick<KeyCacheSnapshot, 'jwks'> | undefined;
}

/** A fetched set keeps at most this many keys (the first ones with a string `kty`); real sets hold a handful. */
export const MAX_KEYS = 100;

/**
 * The keys worth keeping from a JWKS document, frozen (shallowly) so no caller can alter the cache; undefined
 * when the document has no `keys` array. An empty result is still a valid (if useless) set.
 */
export function parseJwks(json: unknown): JWK[] | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const keys: unknown = (json as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return undefined;
  const kept: JWK[] = [];
  for (const key of keys) {
    if (kept.length === MAX_KEYS) break;
    if (typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string') {
      kept.push(Object.freeze(key as JWK));
    }
  }
  return kept;
}

/**
 * A fetched set and the key choices already made from it, so a repeat lookup is two map reads.
 * Only successful choices are remembered, so the memo holds at most
 * (keys + 1) × (known algorithms) entries, whatever tokens arrive.
 */
class KeySet {
  private readonly chosen = new Map<string | undefined, Map<string, JWK>>();

  constructor(readonly keys: readonly JWK[]) {}

  /** Whether `key` is one of this set's own objects. A handful of keys: a scan, no allocation. */
  has(key: JWK): boolean {
    return this.keys.includes(key);
  }

  /** The key for `header`, undefined for an unknown `kid`; throws 401 as `selectKey` does. */
  find(header: JWTHeader): JWK | undefined {
    return this.chosen.get(header.kid)?.get(header.alg) ?? this.choose(header);
  }

  private choose(header: JWTHeader): JWK | undefined {
    const { kid, alg } = header;
    if (kid !== undefined && typeof kid !== 'string') {
      // Never worth a fetch: no set can hold it.
      throw invalidToken('The token cannot be verified.', `the token's kid is a ${typeof kid}, not a string`, { reasonCode: 'malformed_token' });
    }
    const key = selectKey(this.keys, header);
    if (key !== undefined) {
      let byAlg = this.chosen.get(kid);
      if (byAlg === undefined) this.chosen.set(kid, (byAlg = new Map()));
      byAlg.set(alg, key);
    }
    return key;
  }
}

class RemoteJwksSource implements RemoteJwks {
  private readonly cache: CachedDocument<KeySet>;

  constructor(
    readonly uri: string,
    options: ResolvedJwksOptions,
    hooks: FetchHooks | undefined,
    seed: CheckedSeed['jwks'] | undefined,
  ) {
    const load = async () => {
      const { json, maxAge, status } = await fetchJson(uri, {
        timeout: options.timeoutMs,
        maxBytes: options.maxResponseBytes,
        fetch: options.fetch,
      });
      const keys = parseJwks(json);
      if (keys === undefined) throw new Error(`${uri}: bad JWKS (no "keys" array)`);
      return { value: new KeySet(keepUnchanged(keys, this.cache.value?.keys)), maxAge, status };
    };
    this.cache = new CachedDocument(() => observedFetch('jwks', uri, hooks, load, (loaded) => ({ status: loaded.status, keyCount: loaded.value.keys.length })), options);
    if (seed !== undefined) this.cache.seed(new KeySet(seed.keys), seed.fetchedAt, seed.maxAge);
  }

  snapshot(): Pick<KeyCacheSnapshot, 'jwks'> | undefined {
    const { value, fetchedAt, maxAge } = this.cache;
    if (value === undefined || fetchedAt === undefined || maxAge === undefined) return undefined;
    return { jwks: { uri: this.uri, keys: [...value.keys], fetchedAt, maxAge } };
  }

  getKey(header: JWTHeader): JWK | Promise<JWK> {
    const now = Date.now();
    const fresh = now < this.cache.expiresAt;
    if (fresh) {
      // Fresh means a set is cached.
      const key = this.cache.value!.find(header);
      if (key !== undefined) return key;
    }
    if (!this.cache.mayFetch(now)) return this.answer(header, now);
    const refreshed = this.cache.refresh(fresh ? 'unknown-kid' : 'routine');
    const stale = this.cache.servingThroughOutage(now)?.find(header);
    if (stale !== undefined) return stale;
    return refreshed.then(() => this.answer(header, Date.now()));
  }

  /**
   * Fetches the set now unless a fresh one is cached, and only when the cooldown allows (a
   * readiness probe may call it every second through an outage); rejects with our 503 when no
   * usable set is at hand.
   */
  async ready(): Promise<void> {
    if (Date.now() >= this.cache.expiresAt && this.cache.mayFetch(Date.now())) await this.cache.refresh();
    const now = Date.now();
    if (this.cache.usable(now) === undefined) throw this.cache.unavailable(now, 'JWKS', this.uri);
  }

  /**
   * A key is current while the set it came from is fresh and still holds it. Past the set's max
   * age the answer is no, so a cached result goes back through `getKey`, which refreshes; the
   * refreshed set reuses unchanged keys' objects, so the answer is yes again after it.
   */
  isCurrent(key: JWK): boolean {
    return Date.now() < this.cache.expiresAt && this.cache.value!.has(key);
  }

  /** The answer from what is cached, when no (further) fetch may be made. */
  private answer(header: JWTHeader, now: number): JWK {
    const set = this.cache.usable(now);
    if (set !== undefined) {
      const key = set.find(header);
      if (key !== undefined) return key;
      // An unknown kid is the token's fault only if we just saw the issuer's current set.
      if (this.cache.failure === undefined) {
        throw invalidToken(
          'The token cannot be verified.',
          `no key with kid ${quote(header.kid)} in the JWKS at ${this.uri}`,
          { reasonCode: 'unknown_kid' },
        );
      }
    }
    throw this.cache.unavailable(now, 'JWKS', this.uri);
  }

  get fetchCount(): number {
    return this.cache.fetchCount;
  }
  get keys(): readonly JWK[] {
    return this.cache.value?.keys ?? NO_KEYS;
  }
  get fetchedAt(): number | undefined {
    return this.cache.fetchedAt;
  }
  get maxAge(): number | undefined {
    return this.cache.maxAge;
  }
  get lastError(): string | undefined {
    return this.cache.failure?.message;
  }
}

const NO_KEYS: readonly JWK[] = Object.freeze([]);

/**
 * The fetched keys, with every key that is unchanged since the previous set replaced by the
 * previous object: a routine refresh then keeps the keys prepared for verification, and the
 * results they verified, which are tied to the key objects.
 */
function keepUnchanged(fetched: JWK[], previous: readonly JWK[] | undefined): JWK[] {
  if (previous === undefined || previous.length === 0) return fetched;
  const byContent = new Map(previous.map((key) => [JSON.stringify(key), key]));
  return fetched.map((key) => byContent.get(JSON.stringify(key)) ?? key);
}

/**
 * A key source for one JWKS URL. Throws a TypeError at once for a URL that could never be fetched
 * (not absolute, or http on a non-loopback host): that is a configuration mistake, not an outage.
 */
export function createRemoteJwks(jwksUri: string, options?: JwksOptions, hooks?: FetchHooks, seed?: CheckedSeed['jwks']): RemoteJwks {
  const refusal = checkUrl(jwksUri);
  if (refusal) throw new TypeError(`jwksUri ${refusal.message}`);
  return new RemoteJwksSource(jwksUri, resolveJwksOptions(options), hooks, seed);
}
