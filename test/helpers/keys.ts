/**
 * Real signing keys and a small compact-JWS signer built on node:crypto, so tests can sign
 * anything an attacker could: any header (crit, jku, jwk…), any payload bytes, any algorithm.
 * Keys are generated once per algorithm and kid and shared by the whole test file.
 */
import {
  constants,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import type { JWK } from '../../src/types.js';

export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA',
] as const;
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

export interface TestKey {
  alg: AsymmetricAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as an issuer publishes it: `kid`, `alg`, `use: sig`. */
  jwk: JWK;
}

const CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

function generate(alg: AsymmetricAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg.startsWith('ES')) return generateKeyPairSync('ec', { namedCurve: CURVES[alg] as string });
  return generateKeyPairSync('ed25519');
}

const cache = new Map<string, TestKey>();
const pairs = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

/**
 * A key pair for `alg`; the same one for the same `(alg, kid)` within a test file. RSA keys are
 * slow to generate, so the RS and PS algorithms share one pair under their default kids; every
 * kid a test names has a pair of its own.
 */
export function keyFor(alg: AsymmetricAlgorithm, kid = `${alg.toLowerCase()}-key`): TestKey {
  const id = `${alg}/${kid}`;
  let key = cache.get(id);
  if (!key) {
    const isRsa = alg.startsWith('RS') || alg.startsWith('PS');
    const pairId = isRsa ? (kid === `${alg.toLowerCase()}-key` ? 'rsa/default' : `rsa/${kid}`) : id;
    let pair = pairs.get(pairId);
    if (!pair) pairs.set(pairId, (pair = generate(alg)));
    const { privateKey, publicKey } = pair;
    key = { alg, kid, privateKey, publicKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' } };
    cache.set(id, key);
  }
  return key;
}

/** A fresh random HMAC secret long enough for every HS algorithm. */
export function hmacSecret(bytes = 64): string {
  return randomBytes(bytes).toString('base64url').slice(0, bytes);
}

export const b64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');
export const encodeJson = (value: unknown) => b64url(JSON.stringify(value));

/** The signature of `input` under `alg` with a private key (asymmetric) or a secret (HS). */
export function signatureOf(alg: string, key: KeyObject | string | Uint8Array, input: string): Buffer {
  const data = Buffer.from(input, 'ascii');
  const digest = `sha${alg.slice(2)}`;
  if (alg.startsWith('HS')) return createHmac(digest, key as string | Uint8Array).update(data).digest();
  const privateKey = key as KeyObject;
  if (alg === 'EdDSA' || alg === 'Ed25519') return sign(null, data, privateKey);
  if (alg.startsWith('RS')) return sign(digest, data, privateKey);
  if (alg.startsWith('PS')) {
    return sign(digest, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  if (alg.startsWith('ES')) return sign(digest, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  throw new Error(`the test signer does not know ${alg}`);
}

/**
 * A compact JWS of exactly this header and payload (a string payload is used as is), signed
 * with `signingKey` under `header.alg`.
 */
export function signJws(header: Record<string, unknown>, payload: unknown, signingKey: KeyObject | string | Uint8Array): string {
  const input = `${encodeJson(header)}.${typeof payload === 'string' ? b64url(payload) : encodeJson(payload)}`;
  return `${input}.${b64url(signatureOf(header.alg as string, signingKey, input))}`;
}
