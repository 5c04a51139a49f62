/**
 * The one seam between Node and every other runtime. Each entry point wires one backend:
 * `src/index.ts` the Node one (synchronous `node:crypto` over cached `KeyObject`s: the hot
 * path), `adapters/web.ts` (and the entries built on it) WebCrypto. Every primitive the core
 * itself uses — signature checks, SHA-256, HMAC, base64url — goes through it; nothing else in
 * the core imports a platform crypto API. jose, which the JWE step, PEM and X.509 import and JWK
 * thumbprints call, picks the runtime's crypto on its own.
 */
import type { JWK } from '../types.js';
import { quote } from '../quote.js';

/** A key made ready for one algorithm by a backend; opaque to the rest of the core. */
export interface PreparedKey {
  readonly alg: string;
}

export interface CryptoBackend {
  readonly name: 'node' | 'webcrypto';
  /**
   * Makes a verification key from a JWK for `alg`. Throws a plain Error with a readable message
   * when the key cannot serve `alg` (wrong type or curve, RSA under 2048 bits, bad members).
   */
  importKey(jwk: JWK, alg: string): PreparedKey | Promise<PreparedKey>;
  /**
   * Checks a JWS signature: `signature` is the base64url segment (its alphabet already
   * checked; a non-canonical spelling is false), over the UTF-8 bytes of `signingInput` (`header "." payload`). Text in, so the
   * Node backend can decode into reused buffers. Never throws for a bad signature: false.
   */
  verify(key: PreparedKey, signingInput: string, signature: string): boolean | Promise<boolean>;
  sha256(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** HMAC-SHA-256 of `data` under `key` (RFC 2104): the DPoP nonces' MAC. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * The UTF-8 bytes of `text` (a JWS signing input, a hash or nonce to compare). UTF-8 is
   * injective: a signature over these bytes covers exactly this string, so no other spelling of
   * a segment (a non-ASCII look-alike, say) can verify in its place.
   */
  utf8Bytes(text: string): Uint8Array;
  /**
   * Decodes base64url that the caller has already checked is of the base64url alphabet. Throws
   * for a non-canonical encoding (base64url.ts), so no second spelling decodes to the same bytes.
   */
  decodeBase64Url(input: string): Uint8Array;
  /** The same, read as UTF-8 text (a JOSE header or payload). */
  decodeBase64UrlText(input: string): string;
  /** Constant-time equality of two byte strings (false for different lengths). */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

/** JWS algorithms the library knows, with the key each needs (RFC 7518 §3, RFC 8037). */
export const SIGNING_ALGORITHMS = {
  RS256: { kty: 'RSA', hash: 'SHA-256' },
  RS384: { kty: 'RSA', hash: 'SHA-384' },
  RS512: { kty: 'RSA', hash: 'SHA-512' },
  PS256: { kty: 'RSA', hash: 'SHA-256' },
  PS384: { kty: 'RSA', hash: 'SHA-384' },
  PS512: { kty: 'RSA', hash: 'SHA-512' },
  ES256: { kty: 'EC', hash: 'SHA-256', crv: 'P-256', size: 64 },
  ES384: { kty: 'EC', hash: 'SHA-384', crv: 'P-384', size: 96 },
  ES512: { kty: 'EC', hash: 'SHA-512', crv: 'P-521', size: 132 },
  EdDSA: { kty: 'OKP', hash: undefined, crv: 'Ed25519', size: 64 },
  Ed25519: { kty: 'OKP', hash: undefined, crv: 'Ed25519', size: 64 },
  HS256: { kty: 'oct', hash: 'SHA-256' },
  HS384: { kty: 'oct', hash: 'SHA-384' },
  HS512: { kty: 'oct', hash: 'SHA-512' },
} as const satisfies Record<string, { kty: string; hash: string | undefined; crv?: string; size?: number }>;

export type SigningAlgorithm = keyof typeof SIGNING_ALGORITHMS;

export function isSigningAlgorithm(alg: string): alg is SigningAlgorithm {
  return Object.prototype.hasOwnProperty.call(SIGNING_ALGORITHMS, alg);
}

/** Checks that a JWK can serve `alg`; returns a reason when it cannot. Shared by both backends. */
export function keyMismatch(jwk: JWK, alg: string): string | undefined {
  if (!isSigningAlgorithm(alg)) return `algorithm ${quote(alg)} is not supported`;
  const spec: { kty: string; crv?: string } = SIGNING_ALGORITHMS[alg];
  if (jwk.kty !== spec.kty) return `key type ${String(jwk.kty)} cannot verify ${alg}`;
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return `curve ${String(jwk.crv)} cannot verify ${alg}`;
  if (jwk.alg !== undefined && jwk.alg !== alg) return `the key is for ${jwk.alg}, the token says ${alg}`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `the key's use is ${quote(jwk.use)}, not "sig"`;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return 'the key\'s key_ops do not include "verify"';
  }
  if (spec.kty === 'RSA') {
    // The modulus in bytes, from its base64url length; 2048 bits is the floor (RFC 7518 §3.3).
    const bytes = Math.floor(((typeof jwk.n === 'string' ? jwk.n.length : 0) * 3) / 4);
    if (bytes < 256) return 'RSA keys under 2048 bits are refused';
  }
  return undefined;
}
