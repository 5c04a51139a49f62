/**
 * The optional cache of verified results, keyed by the whole token as presented. A hit skips
 * the decryption, the signature and the checks that cannot change; the verifier still checks
 * the time, the sender constraint and the guards on every request. Entries never outlive the
 * token's `exp`, nor `maxAge` (so a key withdrawn from the issuer's set stops being trusted
 * through the cache within that time).
 */
import { LRUCache } from 'lru-cache';
import type { DialectResult } from './dialects.js';
import type { JWTClaims, JWTHeader } from './types.js';

export interface ResultCacheOptions {
  /** Most entries kept. Default 1000. */
  maxEntries?: number;
  /** Longest an entry is trusted, seconds. Default 600 (the JWKS cache's default age). */
  maxAge?: number;
}

export interface VerifiedToken extends DialectResult {
  /** The compact JWS (the inner token for an encrypted one). */
  token: string;
  encrypted: boolean;
  header: JWTHeader;
  claims: JWTClaims;
}

export class ResultCache {
  readonly #entries: LRUCache<string, VerifiedToken>;
  readonly #maxAgeMs: number;

  constructor(options: ResultCacheOptions) {
    const maxEntries = options.maxEntries ?? 1000;
    const maxAge = options.maxAge ?? 600;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('`resultCache.maxEntries` must be a positive integer');
    if (!(Number.isFinite(maxAge) && maxAge > 0)) throw new TypeError('`resultCache.maxAge` must be a number of seconds > 0');
    this.#maxAgeMs = maxAge * 1000;
    // ttlAutopurge stays off: expired entries are dropped when read or evicted, with no timers.
    this.#entries = new LRUCache({ max: maxEntries, ttl: this.#maxAgeMs });
  }

  get(token: string): VerifiedToken | undefined {
    return this.#entries.get(token);
  }

  set(token: string, verified: VerifiedToken): void {
    const untilExpiry = (verified.claims.exp as number) * 1000 - Date.now();
    // Every hit hands out these same objects: frozen, no caller can alter what the next one gets.
    if (untilExpiry > 0) this.#entries.set(token, deepFreeze(verified), { ttl: Math.min(this.#maxAgeMs, untilExpiry) });
  }

  get size(): number {
    return this.#entries.size;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
