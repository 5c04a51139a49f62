/**
 * Signing keys and tokens for the benchmarks, made with `node:crypto` directly: minting thousands
 * of distinct tokens must be quick, and no library under test should mint what it then verifies.
 */
import { constants, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from '../../src/types.js';

export type BenchAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
export const BENCH_ALGS: readonly BenchAlg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export interface BenchKey {
  alg: BenchAlg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as the issuer publishes it in its JWKS. */
  jwk: JWK;
  /** SPKI PEM of the same public key (for libraries that take PEM). */
  pem: string;
}

/** Audience and issuer shared by every benchmark: Auth0-shaped identifiers. */
export const AUDIENCE = 'https://api.bench.example';
export const DEFAULT_ISSUER = 'https://issuer.bench.example/';

let kidCounter = 0;

export function generateKey(alg: BenchAlg, kid = `${alg.toLowerCase()}-${++kidCounter}`): BenchKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = pair.publicKey.export({ format: 'jwk' }) as JsonWebKey;
  const jwk = { ...exported, kid, alg, use: 'sig' } as JWK;
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk, pem };
}

/** `crypto.sign`/`crypto.verify` arguments for a JWS algorithm: digest, and key options. */
export function nodeParams(alg: BenchAlg): { digest: string | null; options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' } } {
  switch (alg) {
    case 'RS256':
      return { digest: 'sha256', options: {} };
    case 'PS256':
      return { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } };
    case 'ES256':
      return { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
      return { digest: null, options: {} };
  }
}

export interface MintOptions {
  issuer?: string;
  audience?: string;
  /** Lifetime in seconds from now (negative: already expired). Default 3600. */
  expiresIn?: number;
  /** Overrides the header's kid (an unknown kid, for floods). */
  kid?: string;
  claims?: Record<string, unknown>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A compact JWS shaped like an Auth0 access token. `n` makes it distinct (in `jti`), so a pool
 * of tokens holds no two alike and no cache anywhere can answer for another.
 */
export function mint(key: BenchKey, n: number, options: MintOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: key.alg, typ: 'JWT', kid: options.kid ?? key.kid };
  const claims = {
    iss: options.issuer ?? DEFAULT_ISSUER,
    sub: `auth0|user-${n}`,
    aud: [options.audience ?? AUDIENCE, 'https://issuer.bench.example/userinfo'],
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    azp: 'bench-client-id',
    scope: 'openid profile read:messages write:messages',
    jti: `t-${n}-${Math.random().toString(36).slice(2, 10)}`,
    ...options.claims,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  const { digest, options: keyOptions } = nodeParams(key.alg);
  const signature = sign(digest, Buffer.from(input), { key: key.privateKey, ...keyOptions });
  return `${input}.${signature.toString('base64url')}`;
}

export function mintMany(key: BenchKey, count: number, options: MintOptions = {}): string[] {
  return Array.from({ length: count }, (_, i) => mint(key, i, options));
}

/** The same token with one signature character changed: a forgery every verifier must refuse. */
export function tamper(token: string): string {
  const last = token.length - 2;
  const replacement = token[last] === 'A' ? 'B' : 'A';
  return token.slice(0, last) + replacement + token.slice(last + 1);
}
