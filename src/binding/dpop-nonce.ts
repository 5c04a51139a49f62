/**
 * Server-provided DPoP nonces (RFC 9449 §8–9). A nonce lets the API bound how long a proof can
 * be used, whatever the client's clock says. Two ways to configure it:
 *
 * - `{ secret, lifetime? }`: stateless rotating nonces. The nonce of period `p` is `p.MAC` with
 *   MAC = HMAC-SHA-256(secret, "dpop-nonce:" p) and p = floor(now / lifetime); a nonce is valid in
 *   its own period and the next, so between `lifetime` and twice it. Every instance that shares
 *   the secret issues and accepts the same nonces: no shared state, no store.
 * - any object with `current()` and `isValid(nonce)`: bring your own (a nonce per client, nonces
 *   kept in a database…).
 */
import { base64url } from 'jose';
import type { CryptoBackend } from '../crypto/types.js';

export interface DpopNonceSource {
  /** The nonce to hand to clients now, in `DPoP-Nonce`. NQCHAR only (RFC 9449 §8.1). */
  current(): string | Promise<string>;
  /** Whether a nonce taken from a proof is still acceptable. */
  isValid(nonce: string): boolean | Promise<boolean>;
}

export interface DpopNonceSecret {
  /** At least 32 bytes; share it between instances. */
  secret: string | Uint8Array;
  /** Seconds a nonce stays current. Default 300. A nonce is accepted for up to twice this. */
  lifetime?: number;
}

export type DpopNonceOption = DpopNonceSource | DpopNonceSecret;

const MIN_SECRET_BYTES = 32;
// RFC 9449 §8.1: nonce = 1*NQCHAR; a bound on length keeps garbage cheap to refuse.
const NONCE_SYNTAX = /^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/;

/** Validates the option once and returns the source the DPoP step asks. */
export function createNonceSource(option: DpopNonceOption, backend: CryptoBackend): DpopNonceSource {
  if (option === null || typeof option !== 'object') throw new TypeError('`dpop.nonce` must be { secret, lifetime? } or { current(), isValid() }');
  if ('secret' in option) return createSecretNonces(option, backend);
  const source = option as Partial<DpopNonceSource>;
  if (typeof source.current !== 'function' || typeof source.isValid !== 'function') {
    throw new TypeError('`dpop.nonce` must be { secret, lifetime? } or an object with current() and isValid(nonce)');
  }
  return source as DpopNonceSource;
}

export function isNonceSyntax(value: unknown): value is string {
  return typeof value === 'string' && NONCE_SYNTAX.test(value);
}

function createSecretNonces(option: DpopNonceSecret, backend: CryptoBackend): DpopNonceSource {
  const secret = typeof option.secret === 'string' ? new TextEncoder().encode(option.secret) : option.secret;
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`\`dpop.nonce.secret\` must be a string or bytes of at least ${MIN_SECRET_BYTES} bytes`);
  }
  const lifetime = option.lifetime ?? 300;
  if (!(Number.isFinite(lifetime) && lifetime >= 1)) throw new TypeError('`dpop.nonce.lifetime` must be a number of seconds >= 1');
  const lifetimeMs = lifetime * 1000;
  // 32–64 bytes is all a nonce secret needs (RFC 2104 §3: the hash's output up to its block).
  if (secret.length > 64) throw new TypeError('`dpop.nonce.secret` must be at most 64 bytes');
  const period = () => Math.floor(Date.now() / lifetimeMs);
  let cached: { period: number; nonce: Promise<string> } | undefined;

  const encoder = new TextEncoder();
  const nonceFor = async (p: number) => `${p.toString(36)}.${base64url.encode(await backend.hmacSha256(secret, encoder.encode(`dpop-nonce:${p}`)))}`;

  return {
    current() {
      const p = period();
      if (cached?.period !== p) cached = { period: p, nonce: nonceFor(p) };
      return cached.nonce;
    },
    async isValid(nonce) {
      const dot = nonce.indexOf('.');
      const p = dot > 0 && dot <= 12 ? Number.parseInt(nonce.slice(0, dot), 36) : Number.NaN;
      const now = period();
      if (!(p === now || p === now - 1)) return false;
      const expected = await nonceFor(p);
      return backend.timingSafeEqual(backend.utf8Bytes(expected), backend.utf8Bytes(nonce));
    },
  };
}

