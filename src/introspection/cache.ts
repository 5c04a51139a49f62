/**
 * Introspection answers, remembered by the SHA-256 of their token (the token itself is never a
 * key, so a heap dump of the cache holds no usable token). Two bounded maps: active answers, kept
 * at most `maxAge` and never past the token's `exp`; refusals (inactive, wrong audience…), kept
 * `negativeMaxAge`, apart, so a flood of garbage tokens evicts only other garbage. Concurrent
 * requests for one token share one introspection (`inflight`).
 */
import { BoundedMap } from '../bounded-map.js';
import type { IntrospectionCacheOptions } from '../options.js';
import type { VerifiedToken } from '../result-cache.js';

export const CACHE_DEFAULTS = Object.freeze({ maxEntries: 1000, maxAge: 60, negativeMaxAge: 10 });

export class IntrospectionCache {
  readonly #active: BoundedMap<string, VerifiedToken>;
  readonly #refused: BoundedMap<string, Error>;
  readonly #maxAgeMs: number;
  readonly #negativeMaxAgeMs: number;
  /** Introspections under way, by token hash: at most one per token at a time. */
  readonly inflight = new Map<string, Promise<VerifiedToken>>();

  constructor(options: IntrospectionCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? CACHE_DEFAULTS.maxEntries;
    const maxAge = options.maxAge ?? CACHE_DEFAULTS.maxAge;
    const negativeMaxAge = options.negativeMaxAge ?? CACHE_DEFAULTS.negativeMaxAge;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('`introspection.cache.maxEntries` must be a positive integer');
    if (!(Number.isFinite(maxAge) && maxAge > 0)) throw new TypeError('`introspection.cache.maxAge` must be a number of seconds > 0');
    if (!(Number.isFinite(negativeMaxAge) && negativeMaxAge > 0)) throw new TypeError('`introspection.cache.negativeMaxAge` must be a number of seconds > 0');
    this.#maxAgeMs = maxAge * 1000;
    this.#negativeMaxAgeMs = negativeMaxAge * 1000;
    // An active answer past its age is not used, but kept until replaced or evicted: with
    // `failOpen` it is what an outage falls back on (`stale`).
    this.#active = new BoundedMap(maxEntries, { keepExpired: true });
    this.#refused = new BoundedMap(maxEntries);
  }

  /** The fresh answer for this hash: the verified token, or the refusal to throw again. */
  get(key: string): VerifiedToken | Error | undefined {
    return this.#active.get(key) ?? this.#refused.get(key);
  }

  /** The last active answer, however old (for `failOpen` only). */
  stale(key: string): VerifiedToken | undefined {
    return this.#active.getExpired(key);
  }

  /** Keeps an active answer until `expiresAt` (ms since the epoch) or `maxAge`, whichever is first. */
  setActive(key: string, verified: VerifiedToken, expiresAt: number): void {
    const untilExpiry = expiresAt - Date.now();
    if (!(untilExpiry > 0)) return;
    this.#refused.delete(key);
    // Every hit hands out these same objects: frozen, no caller can alter what the next one gets.
    this.#active.set(key, deepFreeze(verified), Math.min(this.#maxAgeMs, untilExpiry));
  }

  setRefused(key: string, refusal: Error): void {
    this.#active.delete(key);
    this.#refused.set(key, refusal, this.#negativeMaxAgeMs);
  }

  get size(): { active: number; refused: number } {
    return { active: this.#active.size, refused: this.#refused.size };
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
