/**
 * `createVerifier`: options are validated once, at startup (misconfiguration is a TypeError,
 * never a surprise on the first request), and the steps are wired so that HS tokens verify with
 * the secret, other algorithms with the configured public keys, and a failure to obtain keys is
 * our 503, never a bad token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, KeysUnavailableError, type VerifierOptions } from '../src/index.js';
import { LocalIssuer } from '../examples/local-issuer.js';
import { closedPort } from './helpers/http.js';
import { keyFor, signJws } from './helpers/keys.js';
import { expectRefused, expectUnavailable } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, auth0Claims, mint, verifierFor } from './helpers/tokens.js';

const rs256 = keyFor('RS256');
const base: VerifierOptions = { issuer: ISSUER, audience: AUDIENCE, keys: { keys: [rs256.jwk] } };
const configure = (options: Partial<VerifierOptions>) => () => createVerifier({ ...base, ...options } as VerifierOptions);
/** An HS-only API: verified with its secret alone, so no public keys are configured. */
const configureHs = (options: Partial<VerifierOptions>) => configure({ keys: undefined, ...options });
const bytes = (length: number) => new Uint8Array(length).fill(7);

describe('option names', () => {
  it.each([
    ['audiance', { audiance: AUDIENCE }, /unknown option `audiance`; did you mean `audience`\?/],
    ['algorithm', { algorithm: ['RS256'] }, /did you mean `algorithms`\?/],
    ['jwks.cooldwon', { jwks: { cooldwon: 5 } }, /unknown option `jwks.cooldwon`; did you mean `jwks.cooldown`\?/],
    ['dpop.replay', { dpop: { replay: {} } }, /unknown option `dpop.replay`/],
    ['somethingElse', { somethingElse: true }, /unknown option `somethingElse`; known options: issuer, audience/],
  ])('refuses the unknown option %s at construction, naming the closest known one', (_, extra, message) => {
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [] }, ...extra } as VerifierOptions)).toThrow(message);
  });
});

describe('option validation', () => {
  it.each([
    ['no options at all', () => createVerifier(undefined as unknown as VerifierOptions)],
    ['no issuer', configure({ issuer: undefined })],
    ['an empty issuer', configure({ issuer: '' })],
    ['no audience', configure({ audience: undefined })],
    ['an empty audience', configure({ audience: '' })],
    ['an empty audience list', configure({ audience: [] })],
    ['an empty string among audiences', configure({ audience: [AUDIENCE, ''] })],
    ['an empty algorithm list', configure({ algorithms: [] })],
    ['an unknown algorithm', configure({ algorithms: ['RS1'] })],
    ['an unsupported algorithm', configure({ algorithms: ['ES256K'] })],
    ['"none" as an algorithm', configure({ algorithms: ['none'] })],
    ['an HS algorithm without a secret', configure({ algorithms: ['HS256'] })],
    ['a secret without an HS algorithm', configure({ secret: 'x'.repeat(64) })],
    ['a secret that is neither text nor bytes', configureHs({ algorithms: ['HS256'], secret: 12345 as unknown as string })],
    ['public keys for an HS-only API', configure({ algorithms: ['HS256'], secret: 'k'.repeat(32) })],
    ['both keys and jwksUri', configure({ jwksUri: 'https://tenant.example.com/.well-known/jwks.json' })],
    ['an unknown dialect', configure({ dialect: 'kong' as 'any' })],
    ['a negative clockTolerance', configure({ clockTolerance: -1 })],
    ['a NaN clockTolerance', configure({ clockTolerance: Number.NaN })],
    ['a zero maxTokenAge', configure({ maxTokenAge: 0 })],
    ['an unknown token location', configure({ tokenLocations: ['cookie' as 'header'] })],
  ])('is a TypeError for %s', (_, create) => {
    expect(create).toThrow(TypeError);
  });

  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ])('requires an %s secret of at least %i bytes (RFC 7518 §3.2)', (alg, minimum) => {
    expect(configureHs({ algorithms: [alg], secret: 'k'.repeat(minimum - 1) })).toThrow(/needs at least/);
    expect(configureHs({ algorithms: [alg], secret: bytes(minimum - 1) })).toThrow(TypeError);
    expect(configureHs({ algorithms: [alg], secret: 'k'.repeat(minimum) })).not.toThrow();
    expect(configureHs({ algorithms: [alg], secret: bytes(minimum) })).not.toThrow();
  });

  it('counts a text secret in UTF-8 bytes, not characters', () => {
    expect(configureHs({ algorithms: ['HS256'], secret: 'é'.repeat(16) })).not.toThrow();
    expect(configureHs({ algorithms: ['HS256'], secret: 'é'.repeat(15) })).toThrow(/is 30 bytes/);
  });

  it('holds the secret to the strongest HS algorithm allowed', () => {
    expect(configureHs({ algorithms: ['HS256', 'HS512'], secret: 'k'.repeat(48) })).toThrow(/HS512 needs at least 64/);
  });
});

describe('wiring', () => {
  it('exposes the challenge its errors are rendered with', () => {
    expect(verifierFor({ realm: 'messages' }).challenge).toMatchObject({ realm: 'messages', schemes: ['Bearer'] });
  });

  it('verifies HS tokens with the secret and other algorithms with the public keys, in one verifier', async () => {
    const secret = 's'.repeat(32);
    const verifier = createVerifier({ ...base, algorithms: ['RS256', 'HS256'], secret });
    await expect(verifier.verify(mint())).resolves.toMatchObject({ header: { alg: 'RS256' } });
    await expect(verifier.verify(signJws({ alg: 'HS256' }, auth0Claims(), secret))).resolves.toMatchObject({ header: { alg: 'HS256' } });
  });

  it('never verifies an HS token with a public key from the key set', async () => {
    const secret = 's'.repeat(32);
    const verifier = createVerifier({ ...base, algorithms: ['RS256', 'HS256'], secret });
    const publicPem = rs256.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    await expectRefused(verifier.verify(signJws({ alg: 'HS256', kid: rs256.kid }, auth0Claims(), publicPem)), /signature does not verify/);
  });

  it('verifies the same way through verify() and verifyRequest()', async () => {
    const token = mint();
    const verifier = verifierFor();
    const direct = await verifier.verify(token);
    const fromRequest = await verifier.verifyRequest({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${token}` } });
    expect(fromRequest).toEqual(direct);
  });

  it('accepts a token only when every check passed, whatever the order of failures', async () => {
    const verifier = verifierFor();
    await expectRefused(verifier.verify(mint({ aud: 'other', exp: 1 }, { key: keyFor('RS256', 'stranger') })));
  });
});

describe('remote keys', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await LocalIssuer.start();
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('verifies with keys fetched from jwksUri', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri });
    await expect(verifier.verify(await issuer.mint(AUDIENCE))).resolves.toMatchObject({ claims: { iss: issuer.issuer } });
  });

  it('reports keys it cannot fetch as our 503, never as a bad token', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` });
    const error = await expectUnavailable(verifier.verify(await issuer.mint(AUDIENCE)));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.status).toBe(503);
    expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(error.body.error).toBe('temporarily_unavailable');
  });
});
