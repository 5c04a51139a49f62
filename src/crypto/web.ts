/**
 * The WebCrypto backend, for runtimes without `node:crypto` (Cloudflare Workers, Deno, Bun,
 * browsers-as-servers). Same contract as the Node backend, asynchronous by nature.
 */
import { base64url } from 'jose';
import type { JWK } from '../types.js';
import { assertCanonicalEnd, hasCanonicalEnd } from './base64url.js';
import { SIGNING_ALGORITHMS, keyMismatch, type CryptoBackend, type PreparedKey, type SigningAlgorithm } from './types.js';

interface WebKey extends PreparedKey {
  readonly key: CryptoKey;
  readonly params: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
  readonly signatureLength: number | undefined;
}

async function importKey(jwk: JWK, alg: string): Promise<WebKey> {
  const mismatch = keyMismatch(jwk, alg);
  if (mismatch) throw new Error(mismatch);
  const spec = SIGNING_ALGORITHMS[alg as SigningAlgorithm];
  const hash = spec.hash;
  const signatureLength = 'size' in spec ? spec.size : undefined;
  let importParams: AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams | HmacImportParams;
  let params: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
  switch (spec.kty) {
    case 'RSA':
      if (alg.startsWith('PS')) {
        importParams = { name: 'RSA-PSS', hash: hash as string };
        params = { name: 'RSA-PSS', saltLength: Number.parseInt((hash as string).slice(4), 10) / 8 };
      } else {
        importParams = { name: 'RSASSA-PKCS1-v1_5', hash: hash as string };
        params = { name: 'RSASSA-PKCS1-v1_5' };
      }
      break;
    case 'EC':
      importParams = { name: 'ECDSA', namedCurve: spec.crv };
      params = { name: 'ECDSA', hash: hash as string };
      break;
    case 'OKP':
      importParams = { name: 'Ed25519' };
      params = { name: 'Ed25519' };
      break;
    default:
      importParams = { name: 'HMAC', hash: hash as string };
      params = { name: 'HMAC' };
  }
  const material: JsonWebKey =
    spec.kty === 'oct' ? { kty: 'oct', k: jwk.k } : spec.kty === 'RSA' ? { kty: 'RSA', n: jwk.n, e: jwk.e } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const key = await crypto.subtle.importKey('jwk', material, importParams, false, ['verify']);
  // RFC 8017 §8.1.2, §8.2.2: an RSA signature is exactly as long as the modulus (a leading zero
  // octet in "n", which RFC 7518 §6.3.1.1 forbids but some sets carry, is not part of it).
  return { alg, key, params, signatureLength: signatureLength ?? (spec.kty === 'RSA' ? modulusLength(jwk.n as string) : undefined) };
}

function modulusLength(n: string): number {
  const bytes = base64url.decode(n);
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  return bytes.length - first;
}

async function verify(prepared: PreparedKey, signingInput: string, signatureText: string): Promise<boolean> {
  const key = prepared as WebKey;
  // Another spelling of the signature is not the signature (base64url.ts).
  if (!hasCanonicalEnd(signatureText)) return false;
  const data = utf8Encoder.encode(signingInput);
  const signature = base64url.decode(signatureText);
  if (key.signatureLength !== undefined && signature.length !== key.signatureLength) return false;
  try {
    return await crypto.subtle.verify(key.params, key.key, signature as BufferSource, data as BufferSource);
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export const webCrypto: CryptoBackend = {
  name: 'webcrypto',
  importKey,
  verify,
  utf8Bytes: (text) => utf8Encoder.encode(text),
  decodeBase64Url: (input) => {
    assertCanonicalEnd(input);
    return base64url.decode(input);
  },
  decodeBase64UrlText: (input) => {
    assertCanonicalEnd(input);
    return utf8.decode(base64url.decode(input));
  },
  sha256: async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)),
  hmacSha256: async (key, data) => {
    const hmacKey = await crypto.subtle.importKey('raw', key as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, data as BufferSource));
  },
  timingSafeEqual,
};
