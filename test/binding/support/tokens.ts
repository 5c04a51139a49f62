/**
 * A tiny issuer for the binding tests: one ES256 key, tokens minted with jose, and verifier
 * options that trust exactly that key (static keys: these tests are about binding, not JWKS).
 */
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import type { VerifierOptions } from '../../../src/index.js';

export const ISSUER = 'https://issuer.binding.test/';
export const AUDIENCE = 'https://api.binding.test';

export interface TestIssuer {
  mint(claims?: JWTPayload & Record<string, unknown>): Promise<string>;
  options(extra?: Partial<VerifierOptions>): VerifierOptions;
}

export async function createTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'binding-key', alg: 'ES256', use: 'sig' };
  return {
    mint: (claims = {}) => sign(privateKey, claims),
    options: (extra = {}) => ({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], keys: { keys: [publicJwk] }, ...extra }),
  };
}

async function sign(privateKey: CryptoKey, claims: JWTPayload & Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'client-1', client_id: 'client-1', iat: now, exp: now + 600, scope: 'read', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'binding-key', typ: 'JWT' })
    .sign(privateKey);
}
