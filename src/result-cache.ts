/**
 * The optional cache of verified results, keyed by the whole token as presented. A hit skips
 * the decryption, the signature and the checks that cannot change; the verifier still checks
 * the time, the sender constraint and the guards on every request. Entries never outlive the
 * token's `exp`, nor `maxAge` (so a key withdrawn from the issuer's set stops being trusted
 * through the cache within that time).
 *
 * A result is stored on its token's second sighting, not its first. A token presented once and
 * never again (a flood of distinct tokens, or simply many clients) then costs one set lookup
 * instead of an entry: no insert, no eviction, no freezing, no memory held. What a cache is for
 * — a token that comes back — loses one verification.
 */
import { BoundedMap } from './bounded-map.js';
import type { DialectResult } from './dialects.js';
import type { ResultCacheOptions } from './options.js';
import type { JWTClaims, JWTHeader } from './types.js';

export type { ResultCacheOptions } from './options.js';

export interface VerifiedToken extends DialectResult {
  /** The compact JWS (the inner token for an encrypted one). */
  token: string;
  encrypted: boolean;
  header: JWTHeader;
  claims: JWTClaims;
}

export class ResultCache {
  readonly #entries: BoundedMap<string, VerifiedToken>;
  readonly #maxAgeMs: number;
  /** Fingerprints of tokens seen once; started over when it holds `maxEntries` of them. */
  readonly #seenOnce = new Set<number>();
  readonly #seenOnceMax: number;

  constructor(options: ResultCacheOptions) {
    const maxEntries = options.maxEntries ?? 1000;
    const maxAge = options.maxAge ?? 600;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('`resultCache.maxEntries` must be a positive integer');
    if (!(Number.isFinite(maxAge) && maxAge > 0)) throw new TypeError('`resultCache.maxAge` must be a number of seconds > 0');
    this.#maxAgeMs = maxAge * 1000;
    this.#seenOnceMax = maxEntries;
    this.#entries = new BoundedMap(maxEntries);
  }

  get(token: string): VerifiedToken | undefined {
    return this.#entries.get(token);
  }

  /** Offers a verified result; it is kept if its token was seen before and has not expired. */
  set(token: string, verified: VerifiedToken): void {
    const untilExpiry = (verified.claims.exp as number) * 1000 - Date.now();
    if (untilExpiry <= 0 || !this.#seenBefore(token)) return;
    // Every hit hands out these same objects: frozen, no caller can alter what the next one gets.
    // (The caller of the first sighting got other objects: that verification's were not kept.)
    this.#entries.set(token, deepFreeze(verified), Math.min(this.#maxAgeMs, untilExpiry));
  }

  #seenBefore(token: string): boolean {
    const print = fingerprint(token);
    if (this.#seenOnce.delete(print)) return true;
    if (this.#seenOnce.size >= this.#seenOnceMax) this.#seenOnce.clear();
    this.#seenOnce.add(print);
    return false;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * A 30-bit hash (a small integer, stored unboxed) of the token's last 12 characters: signature
 * or authentication-tag bits, so distinct tokens differ there. Two tokens sharing a fingerprint
 * only means one of them is stored a sighting early; the entry itself is keyed by the whole token.
 */
function fingerprint(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 12); i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  return hash & 0x3fffffff;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
