/**
 * The optional cache of verified results, keyed by the whole token as presented. A hit skips
 * the decryption, the signature and the checks that cannot change; the verifier still checks
 * the time, the sender constraint and the guards on every request. Entries never outlive the
 * token's `exp`, nor `maxAge`, nor the key that verified them: each entry keeps that key, and a
 * hit asks the key source whether it is still in the current set, so a key withdrawn by a JWKS
 * refresh takes its results with it.
 *
 * A result is stored on its token's second sighting, not its first. A token presented once and
 * never again (a flood of distinct tokens, or simply many clients) then costs one set lookup
 * instead of an entry: no insert, no eviction, no freezing, no memory held. What a cache is for
 * — a token that comes back — loses one verification.
 */
import { BoundedMap } from './bounded-map.js';
import type { DialectResult } from './dialects.js';
import type { ResultCacheOptions } from './options.js';
import type { JWK, JWTClaims, JWTHeader } from './types.js';

export type { ResultCacheOptions } from './options.js';

export interface VerifiedToken extends DialectResult {
  /** The compact JWS (the inner token for an encrypted one). */
  token: string;
  encrypted: boolean;
  header: JWTHeader;
  claims: JWTClaims;
  /** The token's `iss`, checked against the issuer it was verified for. */
  issuer: string;
  /** The key the signature verified with (the key source's own object; never frozen here). */
  key?: JWK;
  /** What verified the signature, asked on every cache hit whether `key` is still trusted. */
  verifiedBy?: KeyTrust;
}

/** Whether a key that verified a token is still in its source's current set (`SignatureVerifier`). */
export interface KeyTrust {
  stillTrusts(header: JWTHeader, key: JWK | undefined): boolean;
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

  /**
   * The result for `token`, if it is cached and its key still trusted (asked of what verified
   * it: no allocation, a scan of the current set's few keys). An entry whose key is
   * not is kept, not served: the key source may only be due for a refresh, after which a key
   * it still holds vouches for the entry again; a key truly withdrawn never does.
   */
  get(token: string): VerifiedToken | undefined {
    const verified = this.#entries.get(token);
    return verified !== undefined && verified.verifiedBy?.stillTrusts(verified.header, verified.key) === true ? verified : undefined;
  }

  /** Offers a verified result; it is kept if its token was seen before and has not expired. */
  set(token: string, verified: VerifiedToken): void {
    const untilExpiry = (verified.claims.exp as number) * 1000 - Date.now();
    if (untilExpiry <= 0 || !this.#seenBefore(token)) return;
    // Every hit hands out these same objects: frozen, no caller can alter what the next one gets.
    // (The caller of the first sighting got other objects: that verification's were not kept.)
    this.#entries.set(token, freezeResult(verified), Math.min(this.#maxAgeMs, untilExpiry));
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

/** Freezes the result all the way down, except its key and its verifier, which are not the result's. */
function freezeResult(verified: VerifiedToken): VerifiedToken {
  for (const [name, member] of Object.entries(verified)) if (name !== 'key' && name !== 'verifiedBy') deepFreeze(member);
  return Object.freeze(verified);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
