/**
 * A key source backed by one JWKS URL, following DESIGN.md "Key source behaviour": the last good
 * set is served from memory (synchronously) until its max age; past it, or for an unknown `kid`,
 * it is refetched, at most once per cooldown window, with concurrent callers sharing the one
 * fetch; when refreshes fail, the last good set serves until `maxStale`, then lookups are our 503.
 *
 * The refresh rules live in `CachedDocument`, which discovery reuses for issuer metadata.
 */
import { KeysUnavailableError, invalidToken } from '../errors.js';
import type { JWK, JWTHeader, JwksOptions, KeySource } from '../types.js';
import { checkUrl, fetchJson } from './fetch-json.js';
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
}

/** A fetched set keeps at most this many keys (the first ones with a string `kty`); real sets hold a handful. */
export const MAX_KEYS = 100;

/** A response's `Cache-Control: max-age` is honoured within these bounds, seconds (DESIGN.md). */
export const MIN_MAX_AGE = 60;
export const MAX_MAX_AGE = 86_400;

export const JWKS_DEFAULTS = Object.freeze({
  cacheMaxAge: 600,
  cooldown: 30,
  timeout: 5000,
  maxResponseBytes: 1024 * 1024,
  maxStale: 86_400,
});

/** `JwksOptions` checked, with defaults filled in and every duration in milliseconds. */
export interface ResolvedJwksOptions {
  cacheMaxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  maxStaleMs: number;
  fetch?: typeof fetch;
}

export function resolveJwksOptions(options: JwksOptions = {}): ResolvedJwksOptions {
  return {
    cacheMaxAgeMs: number(options, 'cacheMaxAge', false) * 1000,
    cooldownMs: number(options, 'cooldown', true) * 1000,
    timeoutMs: number(options, 'timeout', false),
    maxResponseBytes: number(options, 'maxResponseBytes', false),
    maxStaleMs: number(options, 'maxStale', true) * 1000,
    fetch: options.fetch,
  };
}

function number(options: JwksOptions, name: keyof typeof JWKS_DEFAULTS, zeroAllowed: boolean): number {
  const value = options[name] ?? JWKS_DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new TypeError(`jwks.${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${String(value)}`);
  }
  return value;
}

/** Seconds a fetched document is fresh: the server's max-age within [1 min, 24 h], else our default. */
export function effectiveMaxAge(headerMaxAge: number | undefined, defaultSeconds: number): number {
  if (headerMaxAge === undefined) return defaultSeconds;
  return Math.min(MAX_MAX_AGE, Math.max(MIN_MAX_AGE, headerMaxAge));
}

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

/** What a loader hands `CachedDocument`: the value, and the response's max-age if it had one. */
export interface Loaded<T> {
  value: T;
  maxAge?: number;
}

/**
 * One remotely fetched value under the refresh rules of DESIGN.md (max age, cooldown, one fetch
 * in flight, stale-if-error). It knows nothing of keys: its owner compares `expiresAt` with the
 * clock on the hot path, and otherwise asks `mayFetch` / `usable`, calls `refresh`, and raises
 * `unavailable`. Fields are public for that hot path; nothing outside src/keys touches them.
 */
export class CachedDocument<T> {
  value: T | undefined;
  /** Until when `value` is used without refreshing (ms since the epoch; 0 = nothing cached). */
  expiresAt = 0;
  fetchedAt: number | undefined;
  maxAge: number | undefined;
  /** The failure of the most recent attempt; undefined after a success. */
  failure: Error | undefined;
  fetchCount = 0;
  private usableUntil = 0;
  private nextFetchAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<Loaded<T>>,
    private readonly options: ResolvedJwksOptions,
  ) {}

  /** True when a fetch is running (callers join it) or the cooldown since the last one is over. */
  mayFetch(now: number): boolean {
    return this.inflight !== undefined || now >= this.nextFetchAt;
  }

  /** Starts a fetch, or joins the running one. Never rejects: the outcome lands in the fields. */
  refresh(): Promise<void> {
    if (this.inflight === undefined) {
      // Cleared in a later reaction, after the assignment, even if `load` fails synchronously.
      this.inflight = this.run().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** The value if it may still serve: fresh, or stale but within `maxStale` of its fetch. */
  usable(now: number): T | undefined {
    return now < this.usableUntil ? this.value : undefined;
  }

  /**
   * The usable value when the last attempt failed. While the source is known to be failing, this
   * answers at once and the retry runs behind it, so an outage does not cost every request that
   * arrives during a retry the whole timeout. (After a success, an expired value is never used
   * before its refresh: that is how a removed key stops verifying.)
   */
  servingThroughOutage(now: number): T | undefined {
    return this.failure === undefined ? undefined : this.usable(now);
  }

  /** Seconds until the next fetch may start. */
  retryAfter(now: number): number {
    return Math.max(0, this.nextFetchAt - now) / 1000;
  }

  /**
   * Our 503, for when what is cached cannot answer. `label` names the document ("JWKS"); `where`
   * (its URL) is only needed when there is no failure message, which always names the URL.
   */
  unavailable(now: number, label: string, where: string): KeysUnavailableError {
    let reason = `${label} unavailable: ${this.failure?.message ?? where}`;
    if (this.fetchedAt !== undefined && now >= this.usableUntil) {
      const age = Math.round((now - this.fetchedAt) / 1000);
      reason += `; the last good copy, fetched ${age} s ago, is past maxStale (${this.options.maxStaleMs / 1000} s)`;
    }
    return new KeysUnavailableError(reason, this.retryAfter(now), { cause: this.failure });
  }

  private async run(): Promise<void> {
    this.fetchCount++;
    try {
      const { value, maxAge } = await this.load();
      const now = Date.now();
      const seconds = effectiveMaxAge(maxAge, this.options.cacheMaxAgeMs / 1000);
      this.value = value;
      this.fetchedAt = now;
      this.maxAge = seconds;
      this.expiresAt = now + seconds * 1000;
      // A fresh value always serves, even if maxStale is configured shorter than its max age.
      this.usableUntil = now + Math.max(seconds * 1000, this.options.maxStaleMs);
      this.failure = undefined;
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      // The cooldown counts from the end of the attempt, whatever its outcome.
      this.nextFetchAt = Date.now() + this.options.cooldownMs;
    }
  }
}

/**
 * A fetched set and the key choices already made from it, so a repeat lookup is two map reads.
 * Only successful choices are remembered, so the memo holds at most
 * (keys + 1) × (known algorithms) entries, whatever tokens arrive.
 */
class KeySet {
  private readonly chosen = new Map<string | undefined, Map<string, JWK>>();

  constructor(readonly keys: readonly JWK[]) {}

  /** The key for `header`, undefined for an unknown `kid`; throws 401 as `selectKey` does. */
  find(header: JWTHeader): JWK | undefined {
    return this.chosen.get(header.kid)?.get(header.alg) ?? this.choose(header);
  }

  private choose(header: JWTHeader): JWK | undefined {
    const { kid, alg } = header;
    if (kid !== undefined && typeof kid !== 'string') {
      // Never worth a fetch: no set can hold it.
      throw invalidToken('The token cannot be verified.', `the token's kid is a ${typeof kid}, not a string`);
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
  ) {
    this.cache = new CachedDocument(async () => {
      const { json, maxAge } = await fetchJson(uri, {
        timeout: options.timeoutMs,
        maxBytes: options.maxResponseBytes,
        fetch: options.fetch,
      });
      const keys = parseJwks(json);
      if (keys === undefined) throw new Error(`${uri}: bad JWKS (no "keys" array)`);
      return { value: new KeySet(keys), maxAge };
    }, options);
  }

  getKey(header: JWTHeader): JWK | Promise<JWK> {
    const now = Date.now();
    if (now < this.cache.expiresAt) {
      // Fresh means a set is cached.
      const key = this.cache.value!.find(header);
      if (key !== undefined) return key;
    }
    if (!this.cache.mayFetch(now)) return this.answer(header, now);
    const refreshed = this.cache.refresh();
    const stale = this.cache.servingThroughOutage(now)?.find(header);
    if (stale !== undefined) return stale;
    return refreshed.then(() => this.answer(header, Date.now()));
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
 * A key source for one JWKS URL. Throws a TypeError at once for a URL that could never be fetched
 * (not absolute, or http on a non-loopback host): that is a configuration mistake, not an outage.
 */
export function createRemoteJwks(jwksUri: string, options?: JwksOptions): RemoteJwks {
  const refusal = checkUrl(jwksUri);
  if (refusal) throw new TypeError(`jwksUri ${refusal.message}`);
  return new RemoteJwksSource(jwksUri, resolveJwksOptions(options));
}

/** A token-supplied kid for a log line: quoted, control characters escaped, length bounded. */
function quote(kid: string | undefined): string {
  return kid === undefined ? '(none)' : JSON.stringify(kid.length > 100 ? `${kid.slice(0, 100)}…` : kid);
}
