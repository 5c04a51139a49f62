/**
 * Static keys, for offline and air-gapped APIs: a JWKS object, one JWK or a list, PEM public
 * keys and certificates (as Auth0's dashboard offers them), and KeyObjects; all public. A
 * private or symmetric key in the configuration is a TypeError at startup.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import { createStaticKeySource, pemToJwk, type StaticKeys } from '../../src/keys/static.js';
import type { JWK } from '../../src/types.js';
import { makeCertificate } from '../helpers/certificates.js';
import { keyFor, signJws } from '../helpers/keys.js';
import { expectRefused } from '../helpers/refusal.js';
import { AUDIENCE, ISSUER, auth0Claims, mint } from '../helpers/tokens.js';

const rs256 = keyFor('RS256');
const es256 = keyFor('ES256');
const pemOf = (key: { publicKey: KeyObject }) => key.publicKey.export({ format: 'pem', type: 'spki' }) as string;

function verifierWith(keys: StaticKeys, algorithms = ['RS256']) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys, algorithms });
}

describe('accepted forms', () => {
  it('takes a JWKS object', async () => {
    await expect(verifierWith({ keys: [rs256.jwk] }).verify(mint())).resolves.toBeDefined();
  });

  it('takes a single JWK', async () => {
    await expect(verifierWith(rs256.jwk).verify(mint())).resolves.toBeDefined();
  });

  it('takes a list of JWKs and picks by kid', async () => {
    const verifier = verifierWith([rs256.jwk, es256.jwk], ['RS256', 'ES256']);
    await expect(verifier.verify(mint({}, { key: es256 }))).resolves.toMatchObject({ header: { alg: 'ES256' } });
    await expect(verifier.verify(mint({}, { key: rs256 }))).resolves.toMatchObject({ header: { alg: 'RS256' } });
  });

  it('takes an RSA public key in PEM (SPKI)', async () => {
    await expect(verifierWith(pemOf(rs256)).verify(mint())).resolves.toBeDefined();
  });

  it('takes an EC public key in PEM (SPKI)', async () => {
    await expect(verifierWith(pemOf(es256), ['ES256']).verify(mint({}, { key: es256 }))).resolves.toBeDefined();
  });

  it('serves every allow-listed algorithm the PEM key fits', async () => {
    const ps256 = keyFor('PS256', rs256.kid);
    const samePair = { ...ps256, privateKey: rs256.privateKey, publicKey: rs256.publicKey };
    const verifier = verifierWith(pemOf(rs256), ['RS256', 'PS256']);
    await expect(verifier.verify(mint({}, { key: samePair }))).resolves.toMatchObject({ header: { alg: 'PS256' } });
    await expect(verifier.verify(mint())).resolves.toMatchObject({ header: { alg: 'RS256' } });
  });

  it('takes a PEM certificate, as the Auth0 dashboard offers it', async () => {
    const certificate = makeCertificate('token-signer.test', { key: 'rsa' });
    const token = signJws({ alg: 'RS256', kid: 'dashboard-key', typ: 'JWT' }, auth0Claims(), certificate.privateKey);
    await expect(verifierWith(certificate.certPem).verify(token)).resolves.toBeDefined();
  });

  it('takes a public KeyObject', async () => {
    await expect(verifierWith(es256.publicKey, ['ES256']).verify(mint({}, { key: es256 }))).resolves.toBeDefined();
  });

  it('takes a JWK with members beyond the key itself', async () => {
    const withExtras = { ...rs256.jwk, x5t: 'ignored', custom: 1 } as JWK;
    await expect(verifierWith(withExtras).verify(mint())).resolves.toBeDefined();
  });

  it('mixes forms: JWKs by kid, and an unnamed PEM for tokens whose kid no JWK has', async () => {
    const unnamed = keyFor('RS256', 'rotated-in-by-pem');
    const verifier = verifierWith([rs256.jwk, pemOf(unnamed)]);
    await expect(verifier.verify(mint())).resolves.toBeDefined();
    await expect(verifier.verify(mint({}, { key: unnamed }))).resolves.toBeDefined();
  });
});

describe('choosing among static keys', () => {
  it('lets a key configured without kid serve a token that names any kid', async () => {
    await expect(verifierWith(pemOf(rs256)).verify(mint({}, { header: { kid: 'whatever-the-issuer-calls-it' } }))).resolves.toBeDefined();
  });

  it('refuses a kid that no configured key has when every key is named', async () => {
    await expectRefused(verifierWith({ keys: [rs256.jwk] }).verify(mint({}, { header: { kid: 'unknown' } })), /no configured key has kid "unknown"/);
  });

  it('refuses, rather than guesses, when two unnamed keys fit a token', async () => {
    const other = keyFor('RS256', 'other');
    await expectRefused(verifierWith([pemOf(rs256), pemOf(other)]).verify(mint()), /refusing to guess/);
  });

  it('refuses every token when a configured PEM fits none of the allow-listed algorithms', async () => {
    await expectRefused(verifierWith(pemOf(rs256), ['ES256']).verify(mint({}, { key: es256 })), /fits none of the algorithms ES256/);
  });

  it('refuses every token when a configured PEM is not a key at all', async () => {
    await expectRefused(verifierWith('-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----').verify(mint()), /PEM key fits none/);
  });

  it('answers from memory once the keys are loaded: no promise for a JWKS', () => {
    const source = createStaticKeySource({ keys: [rs256.jwk] }, ['RS256']);
    expect(source.getKey({ alg: 'RS256', kid: rs256.kid })).toBe(rs256.jwk);
  });

  it('answers from memory after the first lookup for PEM keys', async () => {
    const source = createStaticKeySource(pemOf(rs256), ['RS256'], pemToJwk);
    const first = await source.getKey({ alg: 'RS256', kid: 'k' });
    const second = source.getKey({ alg: 'RS256', kid: 'k' });
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual(first);
  });
});

describe('refused at setup', () => {
  const privateJwk = (): JWK => ({ ...(rs256.privateKey.export({ format: 'jwk' }) as JWK), kid: 'leaked' });

  it('an empty key set', () => {
    expect(() => verifierWith({ keys: [] })).toThrow(/holds no key/);
    expect(() => verifierWith([])).toThrow(TypeError);
  });

  it('a private JWK', () => {
    expect(() => verifierWith({ keys: [privateJwk()] })).toThrow(TypeError);
    expect(() => verifierWith({ keys: [privateJwk()] })).toThrow(/must be public/);
  });

  it('a private JWK beside a PEM key', () => {
    expect(() => verifierWith([pemOf(es256), privateJwk()])).toThrow(/must be public/);
  });

  it('a symmetric JWK (HS keys belong in `secret`)', () => {
    expect(() => verifierWith({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' })).toThrow(/use `secret`/);
  });

  it('a secret KeyObject', () => {
    expect(() => verifierWith(createSecretKey(Buffer.alloc(32, 1)) as unknown as StaticKeys)).toThrow(/`secret` option/);
  });

  it('an object that is no key', () => {
    expect(() => verifierWith({ n: 'abc', e: 'AQAB' } as unknown as JWK)).toThrow(TypeError);
  });
});
