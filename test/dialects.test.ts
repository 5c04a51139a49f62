/**
 * Token dialects as README defines them: `auth0` (Auth0's profile: `azp` required and the
 * client id), `rfc9068` (`typ` at+jwt and seven required claims; client id from `client_id`),
 * and `any` (the default: at+jwt tokens meet RFC 9068, others the generic rules). The
 * `AuthResult` says which rules the token met.
 */
import { describe, expect, it } from 'vitest';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, mint, mintRfc9068, verifierFor } from './helpers/tokens.js';

const auth0 = () => verifierFor({ dialect: 'auth0' });
const rfc9068 = () => verifierFor({ dialect: 'rfc9068' });
const any = () => verifierFor({ dialect: 'any' });

describe('dialect "auth0"', () => {
  it('accepts an Auth0-profile token and takes the client id from azp', async () => {
    const result = await auth0().verify(mint({ azp: 'spa-client', permissions: ['read:messages'] }));
    expect(result).toMatchObject({ dialect: 'auth0', clientId: 'spa-client', permissions: ['read:messages'] });
  });

  it('refuses a token without azp, saying the profile requires it', async () => {
    await expectRefused(auth0().verify(mint({ azp: undefined })), /no azp, which the Auth0 token profile/);
  });

  it('refuses an RFC 9068 token with a reason naming the mismatch of profile and option', async () => {
    await expectRefused(auth0().verify(mintRfc9068()), /RFC 9068 tokens while the verifier expects dialect "auth0"/);
  });

  it('splits the scope string into scopes', async () => {
    const result = await auth0().verify(mint({ scope: 'openid read:messages write:messages' }));
    expect(result.scopes).toEqual(['openid', 'read:messages', 'write:messages']);
  });

  it('reads no scopes and no permissions from a token that carries neither', async () => {
    const result = await auth0().verify(mint({ scope: undefined }));
    expect(result).toMatchObject({ scopes: [], permissions: [] });
  });
});

describe('dialect "rfc9068"', () => {
  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])('accepts typ "%s"', async (typ) => {
    const result = await rfc9068().verify(mintRfc9068({}, { header: { typ } }));
    expect(result).toMatchObject({ dialect: 'rfc9068', clientId: 'client-1' });
  });

  it.each([
    ['"JWT"', 'JWT'],
    ['"jwt+at"', 'jwt+at'],
    ['"application/jwt"', 'application/jwt'],
    ['missing', undefined],
    ['not a string', 1],
  ])('refuses typ %s', async (_, typ) => {
    await expectRefused(rfc9068().verify(mintRfc9068({}, { header: { typ } })), /RFC 9068 requires "at\+jwt"/);
  });

  it('refuses an Auth0-profile token with a reason naming the mismatch of profile and option', async () => {
    await expectRefused(rfc9068().verify(mint()), /Auth0-profile tokens while the verifier expects dialect "rfc9068"/);
  });

  it.each(['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'])('refuses a token without %s', async (claim) => {
    await expectRefused(rfc9068().verify(mintRfc9068({ [claim]: undefined })), new RegExp(claim));
  });

  it('takes the client id from client_id, not azp', async () => {
    const result = await rfc9068().verify(mintRfc9068({ client_id: 'machine', azp: 'other' }));
    expect(result.clientId).toBe('machine');
  });

  it('refuses a numeric client_id', async () => {
    await expectRefused(rfc9068().verify(mintRfc9068({ client_id: 42 })), /client_id must be a string/);
  });
});

describe('dialect "any"', () => {
  it('is the default', async () => {
    await expectRefused(verifierFor().verify(mintRfc9068({ jti: undefined })), /RFC 9068 requires jti/);
    await expect(verifierFor().verify(mint())).resolves.toMatchObject({ dialect: 'generic' });
  });

  it.each(['at+jwt', 'application/at+jwt'])('holds a token with typ "%s" to the RFC 9068 rules', async (typ) => {
    await expectRefused(any().verify(mintRfc9068({ sub: undefined }, { header: { typ } })), /RFC 9068 requires sub/);
    await expect(any().verify(mintRfc9068({}, { header: { typ } }))).resolves.toMatchObject({ dialect: 'rfc9068' });
  });

  it('holds an Auth0-profile token to the generic rules', async () => {
    await expect(any().verify(mint())).resolves.toMatchObject({ dialect: 'generic', clientId: 'client-1' });
  });

  it('holds a token without typ to the generic rules', async () => {
    await expect(any().verify(mint({}, { header: { typ: undefined } }))).resolves.toMatchObject({ dialect: 'generic' });
  });

  it('takes the client id from client_id before azp', async () => {
    await expect(any().verify(mint({ client_id: 'from-client-id', azp: 'from-azp' }))).resolves.toMatchObject({ clientId: 'from-client-id' });
  });

  it('falls back to azp for the client id', async () => {
    await expect(any().verify(mint({ azp: 'from-azp' }))).resolves.toMatchObject({ clientId: 'from-azp' });
  });

  it('accepts a generic token that names no client', async () => {
    await expect(any().verify(mint({ azp: undefined }))).resolves.toMatchObject({ clientId: undefined });
  });

  it('still requires exp of a generic token', async () => {
    await expectRefused(any().verify(mint({ exp: undefined })), /no exp/);
  });
});

describe('the AuthResult', () => {
  it('exposes the token, its header and claims, subject, client, scopes, permissions, dialect and binding', async () => {
    const token = mint({ sub: 'auth0|alice', azp: 'web-app', scope: 'read:messages delete:messages', permissions: ['messages:delete'] });
    const result = await auth0().verify(token);
    expect(result).toMatchObject({
      token,
      header: { alg: 'RS256', typ: 'JWT' },
      claims: { iss: ISSUER, aud: AUDIENCE, sub: 'auth0|alice' },
      subject: 'auth0|alice',
      clientId: 'web-app',
      scopes: ['read:messages', 'delete:messages'],
      permissions: ['messages:delete'],
      dialect: 'auth0',
      binding: 'bearer',
      encrypted: false,
    });
  });

  it('has no subject when the token has no sub', async () => {
    await expect(any().verify(mint({ sub: undefined }))).resolves.toMatchObject({ subject: undefined });
  });

  it.each([
    ['repeated spaces', 'a  b', ['a', 'b']],
    ['leading and trailing spaces', ' a b ', ['a', 'b']],
    ['an empty string', '', []],
  ])('reads scopes from a scope string with %s', async (_, scope, scopes) => {
    await expect(any().verify(mint({ scope }))).resolves.toMatchObject({ scopes });
  });

  it('gives each result its own scopes array, even for tokens with the same scope string', async () => {
    const verifier = any();
    const first = await verifier.verify(mint({ scope: 'read:messages write:messages' }));
    first.scopes.push('admin');
    const second = await verifier.verify(mint({ scope: 'read:messages write:messages' }));
    expect(second.scopes).toEqual(['read:messages', 'write:messages']);
  });

  it('reads each scope string afresh when tokens alternate between two', async () => {
    const verifier = any();
    for (const scope of ['a b', 'c', 'a b', 'c']) {
      await expect(verifier.verify(mint({ scope }))).resolves.toMatchObject({ scopes: scope.split(' ') });
    }
  });
});
