/**
 * What every attack test shares: a verifier per crypto backend that trusts real RS256, ES256,
 * EdDSA and HS256 keys and decrypts JWEs to a real RSA key, valid tokens of each kind, and
 * `outcomeOf`, which turns a verification into "accepted" or the typed refusal — and fails the
 * test on anything else: another exception, a wrapped internal error, a reason with raw control
 * characters, or a verification that does not settle.
 */
import { generateKeyPairSync } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { expect } from 'vitest';
import { nodeCrypto } from '../../src/crypto/node.js';
import type { CryptoBackend } from '../../src/crypto/types.js';
import { webCrypto } from '../../src/crypto/web.js';
import { AccessTokenError } from '../../src/errors.js';
import type { AuthResult } from '../../src/types.js';
import { EVERY_STEP } from '../../src/features.js';
import { createVerifierWith, type Verifier, type VerifierOptions } from '../../src/verifier.js';
import { keyFor, signJws } from '../helpers/keys.js';
import { AUDIENCE, ISSUER, auth0Claims, mint } from '../helpers/tokens.js';

export const BACKENDS: ReadonlyArray<[string, CryptoBackend]> = [
  ['node', nodeCrypto],
  ['webcrypto', webCrypto],
];

export const SECRET = 'an-hs256-secret-that-is-long-enough-for-every-hs-algorithm-0000';
export const SIGNING_KEYS = [keyFor('RS256'), keyFor('ES256'), keyFor('EdDSA')] as const;
export const DECRYPTION_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A verifier on `backend` trusting every test key, the secret and the decryption key. */
export function attackedVerifier(backend: CryptoBackend, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifierWith(backend, {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256', 'ES256', 'EdDSA', 'HS256'],
    keys: { keys: SIGNING_KEYS.map((key) => key.jwk) },
    secret: SECRET,
    decryptionKeys: [DECRYPTION_KEY.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string],
    ...options,
  }, EVERY_STEP);
}

/** One valid token per kind: RS256, ES256, EdDSA, HS256, and an RS256 token encrypted (JWE). */
export async function validTokens(): Promise<string[]> {
  const signed = SIGNING_KEYS.map((key) => mint({}, { key }));
  const hs = signJws({ alg: 'HS256', typ: 'JWT' }, auth0Claims(), SECRET);
  return [...signed, hs, await encryptToken(mint())];
}

export async function encryptToken(jws: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', ...header })
    .encrypt(DECRYPTION_KEY.publicKey);
}

const HANG_MS = 5000;
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * "accepted" with the result, or the `AccessTokenError`; anything else fails the test: a
 * refusal of another type, one that wraps an internal error, a reason a log line could be forged
 * with, or no answer within 5 s.
 */
export async function outcomeOf(verification: Promise<AuthResult>): Promise<{ accepted: AuthResult } | { refused: AccessTokenError }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  const settled = await Promise.race([verification.then((accepted) => ({ accepted }), (error: unknown) => ({ error })), hang]);
  clearTimeout(timer);
  if (settled === 'hang') throw new Error(`the verification did not settle within ${HANG_MS} ms`);
  if ('accepted' in settled) return settled;
  const { error } = settled;
  if (!(error instanceof AccessTokenError)) throw new Error(`not the library's typed refusal: ${String(error)}`, { cause: error });
  expect(error.reason, 'an internal error escaped as a refusal').not.toMatch(/unexpected error while verifying/);
  expect(error.reason, 'a raw control character in the reason').not.toMatch(RAW_CONTROL);
  expect(error.status).toBeGreaterThanOrEqual(400);
  expect(error.status).toBeLessThan(500);
  return { refused: error };
}

/** The refusal, failing the test if the token was accepted. */
export async function refusalOf(verification: Promise<AuthResult>): Promise<AccessTokenError> {
  const outcome = await outcomeOf(verification);
  if ('accepted' in outcome) throw new Error('expected a refusal, the token was accepted');
  return outcome.refused;
}
