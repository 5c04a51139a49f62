/**
 * Registered claims (RFC 7519 §4.1): `iss` and `aud` compared as exact strings, `exp` required,
 * `nbf`/`iat` with the configured clock tolerance, `maxTokenAge` from `iat`, and claim types
 * checked so a malformed claims set is a 401, never a crash. The clock is frozen in every test.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keyFor, signJws } from './helpers/keys.js';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, mint, mintExact, verifierFor } from './helpers/tokens.js';

const NOW = 1_750_000_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW * 1000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('iss', () => {
  it('accepts the configured issuer exactly', async () => {
    await expect(verifierFor().verify(mint({ iss: ISSUER }))).resolves.toMatchObject({ claims: { iss: ISSUER } });
  });

  it('refuses an issuer that lacks the trailing slash, and says so in the reason', async () => {
    await expectRefused(verifierFor().verify(mint({ iss: 'https://tenant.example.com' })), /differ by a trailing slash/);
  });

  it('refuses an issuer with a trailing slash the configuration lacks', async () => {
    await expectRefused(
      verifierFor({ issuer: 'https://tenant.example.com' }).verify(mint({ iss: 'https://tenant.example.com/' })),
      /differ by a trailing slash/,
    );
  });

  it('compares case-sensitively', async () => {
    await expectRefused(verifierFor().verify(mint({ iss: 'https://TENANT.example.com/' })), /iss is "https:\/\/TENANT/);
  });

  it('refuses another tenant\'s tokens', async () => {
    await expectRefused(verifierFor().verify(mint({ iss: 'https://other-tenant.example.com/' })), /expected "https:\/\/tenant.example.com\/"/);
  });

  it('refuses a token without iss', async () => {
    await expectRefused(verifierFor().verify(mint({ iss: undefined })), /no iss/);
  });
});

describe('aud', () => {
  it('accepts a string aud equal to the configured audience', async () => {
    await expect(verifierFor().verify(mint({ aud: AUDIENCE }))).resolves.toBeDefined();
  });

  it('refuses an aud with a trailing slash the configured audience lacks, and says why', async () => {
    const error = await expectRefused(verifierFor().verify(mint({ aud: `${AUDIENCE}/` })), /differ by a trailing slash/);
    expect(error.description).toBe('The access token is not meant for this API.');
  });

  it('refuses an aud without the trailing slash the configured audience has', async () => {
    await expectRefused(verifierFor({ audience: `${AUDIENCE}/` }).verify(mint({ aud: AUDIENCE })), /differ by a trailing slash/);
  });

  it('refuses an aud that merely starts with the configured audience', async () => {
    await expectRefused(verifierFor().verify(mint({ aud: `${AUDIENCE}.attacker.example` })), /expected "https:\/\/api.example.com"/);
  });

  it('accepts an array aud that contains the configured audience', async () => {
    await expect(verifierFor().verify(mint({ aud: ['https://tenant.example.com/userinfo', AUDIENCE] }))).resolves.toBeDefined();
  });

  it('refuses an array aud that does not contain the configured audience', async () => {
    await expectRefused(verifierFor().verify(mint({ aud: ['https://tenant.example.com/userinfo', `${AUDIENCE}/`] })), /aud is \[/);
  });

  it('refuses an empty array aud', async () => {
    await expectRefused(verifierFor().verify(mint({ aud: [] })), /aud is \[\]/);
  });

  it('refuses a token without aud', async () => {
    await expectRefused(verifierFor().verify(mint({ aud: undefined })), /no aud/);
  });

  it.each(['https://a.example.com', 'https://b.example.com'])('accepts any one of several configured audiences (%s)', async (audience) => {
    const verifier = verifierFor({ audience: ['https://a.example.com', 'https://b.example.com'] });
    await expect(verifier.verify(mint({ aud: audience }))).resolves.toBeDefined();
  });

  it('refuses an aud that matches none of several configured audiences, listing them in the reason', async () => {
    const verifier = verifierFor({ audience: ['https://a.example.com', 'https://b.example.com'] });
    await expectRefused(verifier.verify(mint({ aud: 'https://c.example.com' })), /one of \["https:\/\/a.example.com","https:\/\/b.example.com"\]/);
  });

  it('explains that an ID token was sent where the access token belongs', async () => {
    const idToken = mint({ aud: 'client-1', azp: 'client-1', nonce: 'n-0S6_WzA2Mj', scope: undefined });
    const error = await expectRefused(verifierFor().verify(idToken), /looks like an ID token/);
    expect(error.description).not.toMatch(/ID token/);
  });
});

describe('exp', () => {
  it('is required', async () => {
    await expectRefused(verifierFor().verify(mint({ exp: undefined })), /no exp/);
  });

  it('accepts a token until the second before exp', async () => {
    await expect(verifierFor().verify(mint({ exp: NOW + 1 }))).resolves.toBeDefined();
  });

  it('refuses a token at exp, with clockTolerance 0', async () => {
    const error = await expectRefused(verifierFor({ clockTolerance: 0 }).verify(mint({ exp: NOW })), /exp/);
    expect(error.description).toBe('The access token expired.');
  });

  it('refuses a token past exp', async () => {
    await expectRefused(verifierFor().verify(mint({ iat: NOW - 7200, exp: NOW - 60 })), /60 s in the past/);
  });

  it('accepts a token expired by less than clockTolerance', async () => {
    await expect(verifierFor({ clockTolerance: 30 }).verify(mint({ exp: NOW - 29 }))).resolves.toBeDefined();
  });

  it('refuses a token expired by clockTolerance or more', async () => {
    await expectRefused(verifierFor({ clockTolerance: 30 }).verify(mint({ exp: NOW - 30 })), /in the past/);
  });
});

describe('nbf', () => {
  it('accepts a token whose nbf has passed', async () => {
    await expect(verifierFor().verify(mint({ nbf: NOW - 1 }))).resolves.toBeDefined();
  });

  it('refuses a token before its nbf', async () => {
    const error = await expectRefused(verifierFor().verify(mint({ nbf: NOW + 60 })), /nbf .* 60 s in the future/);
    expect(error.description).toBe('The access token is not yet valid.');
  });

  it('accepts a token whose nbf is within clockTolerance ahead', async () => {
    await expect(verifierFor({ clockTolerance: 60 }).verify(mint({ nbf: NOW + 60 }))).resolves.toBeDefined();
  });

  it('refuses a token whose nbf is beyond clockTolerance ahead', async () => {
    await expectRefused(verifierFor({ clockTolerance: 60 }).verify(mint({ nbf: NOW + 61 })), /nbf/);
  });
});

describe('iat', () => {
  it('refuses a token issued in the future', async () => {
    await expectRefused(verifierFor().verify(mint({ iat: NOW + 10 })), /iat .* in the future/);
  });

  it('accepts a token issued within clockTolerance in the future', async () => {
    await expect(verifierFor({ clockTolerance: 10 }).verify(mint({ iat: NOW + 10 }))).resolves.toBeDefined();
  });

  it('is optional when maxTokenAge is not set', async () => {
    await expect(verifierFor().verify(mint({ iat: undefined }))).resolves.toBeDefined();
  });
});

describe('maxTokenAge', () => {
  it('accepts a token issued exactly maxTokenAge ago', async () => {
    await expect(verifierFor({ maxTokenAge: 300 }).verify(mint({ iat: NOW - 300 }))).resolves.toBeDefined();
  });

  it('refuses a token issued longer ago than maxTokenAge', async () => {
    const error = await expectRefused(verifierFor({ maxTokenAge: 300, clockTolerance: 0 }).verify(mint({ iat: NOW - 301 })), /older than maxTokenAge 300/);
    expect(error.description).toBe('The access token is too old.');
  });

  it('extends maxTokenAge by clockTolerance', async () => {
    await expect(verifierFor({ maxTokenAge: 300, clockTolerance: 5 }).verify(mint({ iat: NOW - 305 }))).resolves.toBeDefined();
    await expectRefused(verifierFor({ maxTokenAge: 300, clockTolerance: 5 }).verify(mint({ iat: NOW - 306 })), /maxTokenAge/);
  });

  it('requires iat', async () => {
    await expectRefused(verifierFor({ maxTokenAge: 300 }).verify(mint({ iat: undefined })), /no iat and maxTokenAge is set/);
  });
});

describe('claim types', () => {
  it.each([
    ['a string exp', { exp: String(NOW + 3600) }, /exp must be a number/],
    ['a string nbf', { nbf: String(NOW) }, /nbf must be a number/],
    ['a string iat', { iat: String(NOW) }, /iat must be a number/],
    ['a boolean exp', { exp: true }, /exp must be a number/],
    ['an object aud', { aud: { value: AUDIENCE } }, /aud must be a string or an array of strings/],
    ['an aud array holding a number', { aud: [AUDIENCE, 7] }, /aud must be/],
    ['a numeric sub', { sub: 12345 }, /sub must be a string/],
    ['a numeric iss', { iss: 1 }, /iss must be a string/],
    ['an object jti', { jti: { id: 1 } }, /jti must be a string/],
    ['a numeric azp', { azp: 1 }, /azp must be a string/],
    ['a numeric client_id', { client_id: 1 }, /client_id must be a string/],
    ['an array scope', { scope: ['read:messages'] }, /scope must be a string/],
    ['a string permissions', { permissions: 'read:messages' }, /permissions must be an array of strings/],
    ['permissions holding a number', { permissions: ['read:messages', 1] }, /permissions must be an array of strings/],
    ['a string cnf', { cnf: 'thumbprint' }, /cnf must be an object/],
    ['a null cnf', { cnf: null }, /cnf must be an object/],
  ])('refuses %s with 401 invalid_token', async (_, claims, reason) => {
    const error = await expectRefused(verifierFor().verify(mint(claims)), reason);
    expect(error.status).toBe(401);
  });

  it('refuses an exp that JSON reads as Infinity', async () => {
    const key = keyFor('RS256');
    const payload = `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"s","azp":"c","exp":1e400}`;
    await expectRefused(verifierFor().verify(signJws({ alg: 'RS256', kid: key.kid }, payload, key.privateKey)), /exp must be a number/);
  });

  it('checks types before anything else in the claims, so a malformed claims set cannot mislead a later check', async () => {
    await expectRefused(verifierFor().verify(mintExact({ iss: ['x'], aud: AUDIENCE, exp: NOW + 60 })), /iss must be a string/);
  });
});
