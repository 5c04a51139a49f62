/**
 * Attack class: making the verifier decrypt what it should not, or work without bound. RSA1_5
 * (Bleichenbacher's padding oracle; RFC 8725 §3.2), PBES2 with a huge iteration count
 * (CVE-2022-36083), ECDH-ES (invalid-curve attacks; RFC 8725 §3.4), `dir` (a shared key would
 * let its holders mint tokens), compression (RFC 8725 §3.6), a JWE inside a JWE, and an
 * encrypted token with no signature inside (RFC 7519 §5.2) are all refused, and the refusal
 * says nothing about keys or padding to the client. Both crypto backends.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { b64url, encodeJson } from '../helpers/keys.js';
import { auth0Claims, mint } from '../helpers/tokens.js';
import { BACKENDS, attackedVerifier, encryptToken, refusalOf } from './support.js';

/** A five-part token with this protected header and random other parts: what an attacker sends. */
function jweWithHeader(header: Record<string, unknown>): string {
  return [encodeJson(header), b64url(randomBytes(256)), b64url(randomBytes(12)), b64url(randomBytes(64)), b64url(randomBytes(16))].join('.');
}

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it.each([
    ['RSA1_5, the padding oracle (RFC 8725 §3.2)', { alg: 'RSA1_5', enc: 'A256GCM', cty: 'JWT' }],
    ['PBES2 with 2^31 iterations (CVE-2022-36083)', { alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', cty: 'JWT', p2c: 2 ** 31, p2s: b64url(randomBytes(16)) }],
    ['ECDH-ES with an attacker curve point (RFC 8725 §3.4)', { alg: 'ECDH-ES', enc: 'A256GCM', cty: 'JWT', epk: { kty: 'EC', crv: 'P-256', x: b64url(randomBytes(32)), y: b64url(randomBytes(32)) } }],
    ['dir, a shared content key', { alg: 'dir', enc: 'A256GCM', cty: 'JWT' }],
    ['A256KW, a shared wrapping key', { alg: 'A256KW', enc: 'A256GCM', cty: 'JWT' }],
    ['an unknown enc', { alg: 'RSA-OAEP-256', enc: 'A256CTR', cty: 'JWT' }],
  ])('refuses, before any key operation, a JWE using %s', async (_case, header) => {
    const started = performance.now();
    const error = await refusalOf(verifier.verify(jweWithHeader(header)));
    expect(error.reason).toMatch(/is not in the allow-list/);
    expect(error.description).toBe('The access token is invalid.');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a compressed JWE, the decompression bomb (RFC 8725 §3.6)', async () => {
    expect((await refusalOf(verifier.verify(jweWithHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', zip: 'DEF' })))).reason).toMatch(/compressed/);
  });

  it('refuses a JWE inside a JWE (RFC 7519 §5.2 allows one nesting of signing in encryption)', async () => {
    const inner = await encryptToken(mint());
    expect((await refusalOf(verifier.verify(await encryptToken(inner))))).toMatchObject({ reason: expect.stringMatching(/itself a JWE/) });
  });

  it('refuses an encrypted claims set with no signature inside (RFC 7519 §5.2)', async () => {
    const unsigned = `${encodeJson({ alg: 'none', typ: 'JWT' })}.${encodeJson(auth0Claims())}.`;
    expect((await refusalOf(verifier.verify(await encryptToken(unsigned))))).toMatchObject({ reason: expect.stringMatching(/unsigned/) });
    const rawClaims = JSON.stringify(auth0Claims());
    expect((await refusalOf(verifier.verify(await encryptToken(rawClaims))))).toMatchObject({ reason: expect.stringMatching(/not a compact JWS/) });
  });

  it('refuses a JWE without cty, which declares no signed JWT inside (RFC 7519 §5.2)', async () => {
    expect((await refusalOf(verifier.verify(await encryptToken(mint(), { cty: undefined }))))).toMatchObject({ reason: expect.stringMatching(/no cty/) });
  });

  it('answers an altered tag and a wrong key alike, generically (no padding oracle, RFC 7516 §11.5)', async () => {
    const token = await encryptToken(mint());
    const parts = token.split('.');
    parts[4] = b64url(randomBytes(16));
    const altered = await refusalOf(verifier.verify(parts.join('.')));
    parts[1] = b64url(randomBytes(256));
    const wrongKey = await refusalOf(verifier.verify(parts.join('.')));
    expect(altered.body).toEqual(wrongKey.body);
    expect(altered.headers).toEqual(wrongKey.headers);
  });
});
