/**
 * The Node backend: synchronous `node:crypto` over `KeyObject`s prepared once per key and alg.
 * jose 6 verifies through WebCrypto, which on Node costs several times the CPU of a direct
 * `crypto.verify` (see bench/RESULTS.md); every protected request pays this cost, so it is ours.
 */
import {
  constants,
  createHash,
  createHmac,
  createPublicKey,
  createSecretKey,
  timingSafeEqual as nodeTimingSafeEqual,
  verify as nodeVerify,
  type KeyObject,
  type VerifyKeyObjectInput,
} from 'node:crypto';
import type { JWK } from '../types.js';
import { assertCanonicalEnd, hasCanonicalEnd } from './base64url.js';
import { SIGNING_ALGORITHMS, keyMismatch, type CryptoBackend, type PreparedKey, type SigningAlgorithm } from './types.js';

interface NodeKey extends PreparedKey {
  /** Digest for `crypto.verify` (`null` for EdDSA) or for the HMAC. */
  readonly digest: string | null;
  /** What `crypto.verify` takes, built once so a verify allocates nothing of its own. */
  readonly verifyKey: KeyObject | VerifyKeyObjectInput;
  readonly hmac: boolean;
  /** Exact signature length: fixed for ECDSA and EdDSA, the modulus length for RSA; none for HMAC. */
  readonly signatureLength: number | undefined;
}

const NODE_DIGEST = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

function importKey(jwk: JWK, alg: string): NodeKey {
  const mismatch = keyMismatch(jwk, alg);
  if (mismatch) throw new Error(mismatch);
  const spec = SIGNING_ALGORITHMS[alg as SigningAlgorithm];
  const digest = spec.hash === undefined ? null : NODE_DIGEST[spec.hash];
  const signatureLength = 'size' in spec ? spec.size : undefined;

  if (spec.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new Error('the oct key has no "k"');
    const secret = createSecretKey(Buffer.from(jwk.k, 'base64url'));
    return { alg, digest, verifyKey: secret, hmac: true, signatureLength };
  }
  // Only the public members: a JWKS that leaks "d" must not turn into a private key here.
  const publicJwk = publicMembers(jwk);
  const key = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  let verifyKey: KeyObject | VerifyKeyObjectInput = key;
  // RFC 8017 §8.1.2, §8.2.2: an RSA signature is exactly as long as the modulus. OpenSSL reads a
  // shorter one as a number, so without this a signature with its leading zero octet dropped
  // would verify too: another spelling of one token.
  const rsaLength = spec.kty === 'RSA' ? Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8) : undefined;
  if (alg.startsWith('PS')) {
    verifyKey = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  } else if (alg.startsWith('ES')) {
    verifyKey = { key, dsaEncoding: 'ieee-p1363' };
  }
  return { alg, digest, verifyKey, hmac: false, signatureLength: signatureLength ?? rsaLength };
}

/**
 * The bytes of each verify are written into two buffers every call reuses, rather than into
 * two fresh Buffers per token: the hot path then keeps touching the same memory, which the
 * signature arithmetic right after it also needs (bench/RESULTS.md). Safe because `verify` is
 * synchronous: nothing can interleave between the writes and `crypto.verify`. Inputs that
 * might not fit (3 bytes per character at most in UTF-8) get their own Buffer.
 */
const SIGNING_INPUT_SCRATCH = Buffer.allocUnsafeSlow(16 * 1024);
const SIGNATURE_SCRATCH = Buffer.allocUnsafeSlow(1024);

function signingInputBytes(text: string): Buffer {
  if (text.length * 3 > SIGNING_INPUT_SCRATCH.length) return Buffer.from(text, 'utf8');
  return SIGNING_INPUT_SCRATCH.subarray(0, SIGNING_INPUT_SCRATCH.write(text, 'utf8'));
}

function signatureBytes(base64url: string): Buffer {
  if (base64url.length > Math.floor((SIGNATURE_SCRATCH.length * 4) / 3)) return Buffer.from(base64url, 'base64url');
  return SIGNATURE_SCRATCH.subarray(0, SIGNATURE_SCRATCH.write(base64url, 'base64url'));
}

function verify(prepared: PreparedKey, signingInput: string, signatureText: string): boolean {
  const key = prepared as NodeKey;
  // Another spelling of the signature is not the signature (base64url.ts).
  if (!hasCanonicalEnd(signatureText)) return false;
  const data = signingInputBytes(signingInput);
  const signature = signatureBytes(signatureText);
  if (key.signatureLength !== undefined && signature.length !== key.signatureLength) return false;
  if (key.hmac) {
    const expected = createHmac(key.digest as string, key.verifyKey as KeyObject).update(data).digest();
    return expected.length === signature.length && nodeTimingSafeEqual(expected, signature);
  }
  try {
    return nodeVerify(key.digest, data, key.verifyKey, signature);
  } catch {
    // OpenSSL rejects some malformed signatures by throwing; to us they are just wrong.
    return false;
  }
}

function publicMembers(jwk: JWK): JWK {
  const { kty, n, e, crv, x, y } = jwk;
  return kty === 'RSA' ? { kty, n, e } : kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x };
}

/**
 * Decoded text goes through one reused buffer: the caller only gets the string, so nothing can
 * keep a reference to the bytes, and every verify (its payload, and a header not seen before)
 * skips a Buffer allocation — about 0.3 µs, measured in bench/RESULTS.md. Synchronous, so no
 * other call can interleave between the write and the read.
 */
const TEXT_SCRATCH = Buffer.allocUnsafeSlow(8192);
const TEXT_SCRATCH_MAX_INPUT = Math.floor((TEXT_SCRATCH.length * 4) / 3);

function decodeBase64UrlText(input: string): string {
  assertCanonicalEnd(input);
  if (input.length > TEXT_SCRATCH_MAX_INPUT) return Buffer.from(input, 'base64url').toString('utf8');
  const length = TEXT_SCRATCH.write(input, 0, 'base64url');
  return TEXT_SCRATCH.toString('utf8', 0, length);
}

export const nodeCrypto: CryptoBackend = {
  name: 'node',
  importKey,
  verify,
  sha256: (data) => createHash('sha256').update(data).digest(),
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest(),
  // Not latin1: it keeps only the low byte of each character, so two strings could verify alike.
  utf8Bytes: (text) => Buffer.from(text, 'utf8'),
  decodeBase64Url: (input) => {
    assertCanonicalEnd(input);
    return Buffer.from(input, 'base64url');
  },
  decodeBase64UrlText,
  timingSafeEqual: (a, b) => a.length === b.length && nodeTimingSafeEqual(a, b),
};
