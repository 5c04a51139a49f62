/**
 * The two crypto backends behind the signature step: Node (synchronous `node:crypto` over
 * cached KeyObjects, the fast path) and WebCrypto (every other runtime). Both run the same
 * accept/refuse table, so the fast path is held to exactly the rules of the portable one.
 */
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/crypto/node.js';
import type { CryptoBackend } from '../../src/crypto/types.js';
import { webCrypto } from '../../src/crypto/web.js';
import type { JWK } from '../../src/types.js';
import { createVerifierWith, type VerifierOptions } from '../../src/verifier.js';
import {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  b64url,
  encodeJson,
  keyFor,
  signJws,
  type AsymmetricAlgorithm,
} from '../helpers/keys.js';
import { expectRefused } from '../helpers/refusal.js';
import { AUDIENCE, ISSUER, auth0Claims, mint, respell, respellings, withSegment } from '../helpers/tokens.js';

const SECRET = 'a-shared-secret-of-sixty-four-bytes-for-every-hs-algorithm-00000';

const BACKENDS: Array<[string, CryptoBackend]> = [
  ['node', nodeCrypto],
  ['webcrypto', webCrypto],
];

/** Replaces the signature of a compact JWS. */
const withSignature = (token: string, signature: Uint8Array) => `${token.slice(0, token.lastIndexOf('.'))}.${b64url(signature)}`;
const signatureBytes = (token: string) => Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');

describe.each(BACKENDS)('the %s backend', (_, backend) => {
  it('computes HMAC-SHA-256 as RFC 4231 test case 2 gives it (the DPoP nonces\' MAC)', async () => {
    const mac = await backend.hmacSha256(new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'));
    expect(Buffer.from(mac).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  const verifierFor = (alg: string, options: Partial<VerifierOptions> = {}) =>
    alg.startsWith('HS')
      ? createVerifierWith(backend, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], secret: SECRET, ...options })
      : createVerifierWith(backend, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], keys: { keys: [keyFor(alg as AsymmetricAlgorithm).jwk] }, ...options });
  const tokenFor = (alg: string, claims = {}) =>
    alg.startsWith('HS') ? signJws({ alg, typ: 'JWT' }, auth0Claims(claims), SECRET) : mint(claims, { key: keyFor(alg as AsymmetricAlgorithm) });

  const ALL = [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS];

  it.each(ALL)('accepts a good %s signature', async (alg) => {
    await expect(verifierFor(alg).verify(tokenFor(alg))).resolves.toMatchObject({ header: { alg } });
  });

  it.each(ALL)('accepts a second %s token with the key it prepared for the first', async (alg) => {
    const verifier = verifierFor(alg);
    await verifier.verify(tokenFor(alg, { sub: 'first' }));
    await expect(verifier.verify(tokenFor(alg, { sub: 'second' }))).resolves.toMatchObject({ subject: 'second' });
  });

  // 2048-bit RSA and 64-byte signatures leave 4 unused bits in the last character: 15 other spellings.
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256', 'HS512'])('refuses every other spelling of a %s signature (RFC 4648 §3.5)', async (alg) => {
    const token = tokenFor(alg);
    const spellings = respellings(token.slice(token.lastIndexOf('.') + 1));
    expect(spellings.length).toBeGreaterThanOrEqual(3);
    const verifier = verifierFor(alg);
    for (const spelling of spellings) await expectRefused(verifier.verify(withSegment(token, 2, () => spelling)), /not base64url/);
    await expect(verifier.verify(token)).resolves.toMatchObject({ header: { alg } });
  });

  it.each(['RS256', 'ES256'])('answers false itself for another spelling of a good %s signature', async (alg) => {
    const token = tokenFor(alg);
    const signingInput = token.slice(0, token.lastIndexOf('.'));
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const key = await backend.importKey(keyFor(alg as AsymmetricAlgorithm).jwk, alg);
    expect(await backend.verify(key, signingInput, signature)).toBe(true);
    expect(await backend.verify(key, signingInput, respell(signature))).toBe(false);
  });

  it('refuses to decode a non-canonical segment', () => {
    expect(backend.decodeBase64UrlText('e30')).toBe('{}');
    expect(() => backend.decodeBase64UrlText('e31')).toThrow(/canonical/);
    expect(() => backend.decodeBase64Url('AB')).toThrow(/canonical/);
    expect(() => backend.decodeBase64Url('AAAAA')).toThrow(/canonical/);
  });

  it.each(ALL)('refuses an %s signature with a flipped bit', async (alg) => {
    const token = tokenFor(alg);
    const bytes = signatureBytes(token);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    await expectRefused(verifierFor(alg).verify(withSignature(token, bytes)), /signature does not verify/);
  });

  it.each(ALL)('refuses an %s signature of the wrong length', async (alg) => {
    const token = tokenFor(alg);
    await expectRefused(verifierFor(alg).verify(withSignature(token, signatureBytes(token).subarray(0, 16))), /signature does not verify/);
  });

  it.each(ALL)('refuses an %s signature of zero bytes', async (alg) => {
    const token = tokenFor(alg);
    // An empty segment is malformed; an all-zero signature of the right size is the nearest thing.
    await expectRefused(verifierFor(alg).verify(withSignature(token, new Uint8Array(signatureBytes(token).length))), /signature does not verify/);
  });

  it.each(ALL)('refuses an %s token whose payload was changed', async (alg) => {
    const token = tokenFor(alg);
    const [header, , signature] = token.split('.');
    await expectRefused(verifierFor(alg).verify(`${header}.${encodeJson(auth0Claims({ sub: 'mallory' }))}.${signature}`), /signature does not verify/);
  });

  it('refuses an ES256 signature in DER form rather than JOSE\'s raw r||s', async () => {
    const key = keyFor('ES256');
    const input = `${encodeJson({ alg: 'ES256', kid: key.kid })}.${encodeJson(auth0Claims())}`;
    const der = sign('sha256', Buffer.from(input), key.privateKey);
    await expectRefused(verifierFor('ES256').verify(`${input}.${b64url(der)}`), /signature does not verify/);
  });

  it('refuses a PS256 signature whose salt is not the digest length (RFC 7518 §3.5)', async () => {
    const key = keyFor('PS256');
    const input = `${encodeJson({ alg: 'PS256', kid: key.kid })}.${encodeJson(auth0Claims())}`;
    const longSalt = sign('sha256', Buffer.from(input), { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 });
    await expectRefused(verifierFor('PS256').verify(`${input}.${b64url(longSalt)}`), /signature does not verify/);
  });

  it('refuses an RSA key under 2048 bits when preparing it', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    await expect(async () => backend.importKey(jwk, 'RS256')).rejects.toThrow(/under 2048 bits/);
  });

  it.each([
    ['an EC key for RS256', () => keyFor('ES256').jwk, 'RS256', /key type EC/],
    ['a P-256 key for ES384', () => ({ ...keyFor('ES256').jwk, alg: undefined }), 'ES384', /curve P-256/],
    ['an RSA key published for RS256, for PS256', () => keyFor('RS256').jwk, 'PS256', /the key is for RS256/],
    ['an encryption key', () => ({ ...keyFor('RS256').jwk, use: 'enc' }), 'RS256', /use is "enc"/],
  ])('refuses to prepare %s', async (_, jwk, alg, message) => {
    await expect(async () => backend.importKey(jwk() as JWK, alg)).rejects.toThrow(message);
  });

  it('uses only the public members of a JWK that also carries private ones', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), alg: 'ES256' };
    const input = 'header.payload';
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const prepared = await backend.importKey(privateJwk, 'ES256');
    expect(await backend.verify(prepared, input, signature.toString('base64url'))).toBe(true);
  });

  it('answers false, never throws, for garbage of the right length', async () => {
    const prepared = await backend.importKey(keyFor('ES256').jwk, 'ES256');
    expect(await backend.verify(prepared, 'a.b', b64url(new Uint8Array(64).fill(0xff)))).toBe(false);
  });

  it('verifies the UTF-8 bytes of the signing input, so no look-alike spelling verifies', async () => {
    // Latin-1 keeps the low byte of each character: "Ł" (U+0141) would stand for "A" (0x41).
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256' };
    const prepared = await backend.importKey(jwk, 'ES256');
    const signature = sign('sha256', Buffer.from('eyJA.eyJB'), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    expect(await backend.verify(prepared, 'eyJA.eyJB', signature)).toBe(true);
    expect(await backend.verify(prepared, 'eyJA.eyJ\u0141', signature)).toBe(false);
  });

  it('verifies a signing input longer than the reused buffers hold', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256' };
    const prepared = await backend.importKey(jwk, 'ES256');
    const input = `eyJA.${'QUJD'.repeat(6000)}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    expect(await backend.verify(prepared, input, signature)).toBe(true);
    expect(await backend.verify(prepared, `${input}A`, signature)).toBe(false);
  });

  it('decodes base64url text and bytes', () => {
    expect(backend.decodeBase64UrlText(b64url('{"a":"é"}'))).toBe('{"a":"é"}');
    expect([...backend.decodeBase64Url('AQID_w')]).toEqual([1, 2, 3, 255]);
  });

  it('compares byte strings for equality, and different lengths as unequal', () => {
    expect(backend.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(backend.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(backend.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });

  it('computes SHA-256', async () => {
    expect(Buffer.from(await backend.sha256(new TextEncoder().encode('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('the Node backend is the synchronous fast path', () => {
  it.each(ASYMMETRIC_ALGORITHMS)('prepares an %s key and checks a signature without a promise', (alg: AsymmetricAlgorithm) => {
    const key = keyFor(alg);
    const token = mint({}, { key });
    const prepared = nodeCrypto.importKey(key.jwk, alg);
    expect(prepared).not.toBeInstanceOf(Promise);
    const input = token.slice(0, token.lastIndexOf('.'));
    expect(nodeCrypto.verify(prepared as Awaited<typeof prepared>, input, token.slice(token.lastIndexOf('.') + 1))).toBe(true);
  });
});
