/**
 * Token dialects as README defines them: `auth0` (Auth0's profile: `azp` required and the
 * client id), `rfc9068` (`typ` at+jwt and seven required claims; client id from `client_id`),
 * and `any` (the default: at+jwt tokens meet RFC 9068, others the generic rules). The
 * `AuthResult` says which rules the token met.
 */
import { describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '../src/index.js';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, mint, mintExact, mintRfc9068, nowSeconds, verifierFor } from './helpers/tokens.js';

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

/*
 * Vendor dialects. Each token below has the claim shapes the vendor documents for its access
 * tokens (and, for the refusals, its ID tokens), signed by a local key:
 * - Amazon Cognito, "Understanding the access token" / "Understanding the identity (ID) token"
 *   (docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html)
 * - Microsoft Entra ID, "Access token claims reference" and "ID token claims reference"
 *   (learn.microsoft.com/entra/identity-platform/access-token-claims-reference)
 * - Okta, "OpenID Connect & OAuth 2.0 API", access token and ID token payloads
 *   (developer.okta.com/docs/reference/api/oidc/)
 * - Keycloak, the `AccessToken` representation: `typ`, `azp`, `realm_access`, `resource_access`
 *   (keycloak.org/docs-api, org.keycloak.representations.AccessToken)
 */
const inAnHour = () => nowSeconds() + 3600;

describe('dialect "cognito" (Cognito user pool access tokens: no aud, client_id, token_use)', () => {
  const POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE';
  const APP_CLIENT = '1example23456789';
  const cognito = (options: Partial<VerifierOptions> = {}) => verifierFor({ issuer: POOL, audience: undefined, dialect: 'cognito', clientId: APP_CLIENT, ...options });
  const accessToken = (overrides: Record<string, unknown> = {}) =>
    mintExact({
      sub: 'aaaaaaaa-bbbb-cccc-dddd-example', 'cognito:groups': ['admin'], iss: POOL, version: 2, client_id: APP_CLIENT,
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', token_use: 'access', scope: 'phone openid profile resourceserver.1/appointments email',
      auth_time: nowSeconds(), exp: inAnHour(), iat: nowSeconds(), jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', username: 'my-test-user', ...overrides,
    });

  it('accepts an access token without aud, checking client_id; scope gives the scopes and cognito:groups the permissions', async () => {
    const result = await cognito().verify(accessToken());
    expect(result).toMatchObject({ dialect: 'cognito', clientId: APP_CLIENT, permissions: ['admin'], issuer: POOL });
    expect(result.scopes).toContain('resourceserver.1/appointments');
  });

  it('refuses an ID token (token_use "id", aud the app client) with the ID-token hint', async () => {
    const idToken = accessToken({ token_use: 'id', aud: APP_CLIENT, at_hash: 'TAjgFw-zWNv7LNtBmEx8Ew', email: 'my-test-user@example.com', scope: undefined });
    await expectRefused(cognito().verify(idToken), /token_use is "id": this is an ID token; send the access token instead/);
  });

  it('refuses a token of another app client, naming the client ids expected', async () => {
    await expectRefused(cognito().verify(accessToken({ client_id: 'another-app-client' })), /client id is "another-app-client", expected "1example23456789"/);
  });

  it('accepts any of several app clients', async () => {
    expect((await cognito({ clientId: ['first-client', APP_CLIENT] }).verify(accessToken())).clientId).toBe(APP_CLIENT);
  });

  it('refuses a token without token_use', async () => {
    await expectRefused(cognito().verify(accessToken({ token_use: undefined })), /no token_use/);
  });

  it('refuses cognito:groups that are not an array of strings', async () => {
    await expectRefused(cognito().verify(accessToken({ 'cognito:groups': 'admin' })), /cognito:groups must be an array of strings/);
  });

  it('is a TypeError without clientId, and with an audience (Cognito access tokens have none)', () => {
    expect(() => cognito({ clientId: undefined })).toThrow(/`clientId` is required with dialect "cognito"/);
    expect(() => cognito({ audience: AUDIENCE })).toThrow(/Cognito access tokens have no aud; set clientId/);
  });
});

describe('dialect "entra" (Microsoft Entra ID v1 and v2 access tokens)', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const OTHER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
  const API_CLIENT = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
  const APP_ID_URI = 'api://orders';
  const V2_ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
  const entra = (options: Partial<VerifierOptions> = {}) => verifierFor({ issuer: V2_ISSUER, audience: [API_CLIENT, APP_ID_URI], dialect: 'entra', ...options });
  const v2 = (overrides: Record<string, unknown> = {}) =>
    mintExact({
      aud: API_CLIENT, iss: V2_ISSUER, iat: nowSeconds(), nbf: nowSeconds(), exp: inAnHour(), aio: 'opaque', azp: 'a1b2c3d4-0000-0000-0000-client000001', azpacr: '0',
      name: 'Abe Lincoln', oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474', preferred_username: 'abeli@microsoft.com', rh: 'opaque',
      scp: 'Orders.Read Orders.Write', sub: 'HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ', tid: TENANT, uti: 'fqiBqXLPj0eQa82S-IYFAA', ver: '2.0', ...overrides,
    });
  const V1_ISSUER = `https://sts.windows.net/${TENANT}/`;
  const v1 = (overrides: Record<string, unknown> = {}) =>
    mintExact({
      aud: APP_ID_URI, iss: V1_ISSUER, iat: nowSeconds(), nbf: nowSeconds(), exp: inAnHour(), appid: 'a1b2c3d4-0000-0000-0000-client000001', appidacr: '1',
      oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474', roles: ['Orders.ReadAll'], sub: '690222be-ff1a-4d56-abd1-7e4f7d38e474', tid: TENANT, ver: '1.0', ...overrides,
    });

  it('accepts a v2 token for the client id: client from azp, scp split into scopes', async () => {
    const result = await entra().verify(v2());
    expect(result).toMatchObject({ dialect: 'entra', clientId: 'a1b2c3d4-0000-0000-0000-client000001', scopes: ['Orders.Read', 'Orders.Write'], permissions: [] });
  });

  it('accepts a v1 application token for the app ID URI: client from appid, roles as permissions', async () => {
    const result = await entra({ issuer: V1_ISSUER }).verify(v1());
    expect(result).toMatchObject({ dialect: 'entra', clientId: 'a1b2c3d4-0000-0000-0000-client000001', scopes: [], permissions: ['Orders.ReadAll'] });
  });

  it('refuses an ID token (no azp, aud the client, nonce) with the ID-token hint', async () => {
    const idToken = v2({ azp: undefined, azpacr: undefined, scp: undefined, nonce: '123523' });
    await expectRefused(entra().verify(idToken), /no azp, which Entra ID access tokens carry and ID tokens do not: if this is an ID token, send the access token instead/);
  });

  it('refuses a client other than the configured clientId', async () => {
    await expectRefused(entra({ clientId: 'the-one-front-end' }).verify(v2()), /client id is "a1b2c3d4-0000-0000-0000-client000001", expected "the-one-front-end"/);
  });

  it('refuses an unknown token version', async () => {
    await expectRefused(entra().verify(v2({ ver: '3.0' })), /ver is "3.0"/);
  });

  it('accepts, under a {tenantid} template, a token whose issuer is its own tenant’s', async () => {
    const verifier = entra({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    const other = `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`;
    expect((await verifier.verify(v2({ iss: other, tid: OTHER_TENANT }))).issuer).toBe(other);
  });

  it('refuses, under the template, a token whose issuer names another tenant than its tid', async () => {
    const verifier = entra({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    await expectRefused(verifier.verify(v2({ tid: OTHER_TENANT })), new RegExp(`iss names tenant "${TENANT}" but tid is "${OTHER_TENANT}"`));
  });

  it('refuses, under the template, an issuer that only resembles it', async () => {
    const verifier = entra({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    await expectRefused(verifier.verify(v2({ iss: `https://login.microsoftonline.com/${TENANT}/evil/v2.0` })), /does not fit the issuer template/);
  });

  it('is a TypeError for a template without jwksUri or keys, or outside dialect "entra"', () => {
    expect(() => createVerifier({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', audience: API_CLIENT, dialect: 'entra' })).toThrow(/tenant template.*set jwksUri/);
    expect(() => verifierFor({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' })).toThrow(/only dialect "entra"/);
  });
});

describe('dialect "okta" (Okta custom authorization server access tokens)', () => {
  const OKTA = 'https://example.okta.com/oauth2/default';
  const okta = (options: Partial<VerifierOptions> = {}) => verifierFor({ issuer: OKTA, audience: 'api://default', dialect: 'okta', ...options });
  const accessToken = (overrides: Record<string, unknown> = {}) =>
    mintExact({
      ver: 1, jti: 'AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE', iss: OKTA, aud: 'api://default', iat: nowSeconds(), exp: inAnHour(),
      cid: '0oa1a2b3c4d5e6f7g8h9', uid: '00uid4BxXw6I6TV4m0g3', scp: ['openid', 'email', 'orders:read'], auth_time: nowSeconds(), sub: 'john.doe@example.com', ...overrides,
    });

  it('accepts an access token: client from cid, scp (an array) as the scopes', async () => {
    expect(await okta().verify(accessToken())).toMatchObject({ dialect: 'okta', clientId: '0oa1a2b3c4d5e6f7g8h9', scopes: ['openid', 'email', 'orders:read'] });
  });

  it('refuses an ID token (no cid, nonce and at_hash) with the ID-token hint', async () => {
    const idToken = accessToken({ cid: undefined, uid: undefined, scp: undefined, jti: 'ID.4eAWJOCMB3SX8XewDfVR', nonce: 'n-0S6_WzA2Mj', at_hash: 'preview_at_hash', amr: ['pwd'] });
    await expectRefused(okta().verify(idToken), /no cid, which Okta access tokens carry: this is an ID token; send the access token instead/);
  });

  it('refuses a client other than the configured clientId', async () => {
    await expectRefused(okta({ clientId: ['0oaSOMEONEELSE'] }).verify(accessToken()), /client id is "0oa1a2b3c4d5e6f7g8h9", expected "0oaSOMEONEELSE"/);
  });

  it('refuses scp that is not an array of strings', async () => {
    await expectRefused(okta().verify(accessToken({ scp: 'openid email' })), /scp must be an array of strings/);
  });
});

describe('dialect "keycloak" (Keycloak access tokens)', () => {
  const REALM = 'https://keycloak.example.com/realms/acme';
  const keycloak = (options: Partial<VerifierOptions> = {}) => verifierFor({ issuer: REALM, audience: 'orders-api', dialect: 'keycloak', ...options });
  const accessToken = (overrides: Record<string, unknown> = {}) =>
    mintExact({
      exp: inAnHour(), iat: nowSeconds(), jti: 'onrtac:5b5e8a1e', iss: REALM, aud: ['orders-api', 'account'], sub: 'f3c2b0a1-user', typ: 'Bearer', azp: 'web-app',
      sid: 'session-1', acr: '1', realm_access: { roles: ['offline_access', 'default-roles-acme'] },
      resource_access: { 'orders-api': { roles: ['orders:read'] }, account: { roles: ['manage-account'] } },
      scope: 'openid profile email', email_verified: true, preferred_username: 'alice', ...overrides,
    });

  it('accepts an access token: client from azp, scope split, realm roles and this API’s client roles as permissions', async () => {
    const result = await keycloak().verify(accessToken());
    expect(result).toMatchObject({ dialect: 'keycloak', clientId: 'web-app', scopes: ['openid', 'profile', 'email'] });
    expect(result.permissions).toEqual(['offline_access', 'default-roles-acme', 'orders:read']);
  });

  it('leaves out the roles other clients hold', async () => {
    expect((await keycloak().verify(accessToken())).permissions).not.toContain('manage-account');
  });

  it('refuses an ID token (typ claim "ID") with the ID-token hint', async () => {
    await expectRefused(keycloak().verify(accessToken({ typ: 'ID', aud: 'orders-api', nonce: 'n' })), /typ claim is "ID", Keycloak access tokens say "Bearer": this is an ID token/);
  });

  it('refuses a client other than the configured clientId', async () => {
    await expectRefused(keycloak({ clientId: 'mobile-app' }).verify(accessToken()), /client id is "web-app", expected "mobile-app"/);
  });
});

describe('claims mapping (scopes and permissions from any claim)', () => {
  it('reads scopes from a named claim holding a space-separated string', async () => {
    const result = await verifierFor({ claims: { scopes: 'scp' } }).verify(mint({ scope: undefined, scp: 'orders:read orders:write' }));
    expect(result.scopes).toEqual(['orders:read', 'orders:write']);
  });

  it('reads permissions from a dotted path holding an array', async () => {
    const result = await verifierFor({ claims: { permissions: 'realm_access.roles' } }).verify(mint({ realm_access: { roles: ['admin'] } }));
    expect(result.permissions).toEqual(['admin']);
  });

  it('overrides a vendor dialect’s own claim', async () => {
    const verifier = verifierFor({ issuer: 'https://example.okta.com/oauth2/default', dialect: 'okta', claims: { permissions: 'groups' } });
    const token = mint({ iss: 'https://example.okta.com/oauth2/default', azp: undefined, cid: 'client', groups: ['Everyone', 'Admins'] });
    expect((await verifier.verify(token)).permissions).toEqual(['Everyone', 'Admins']);
  });

  it('reads nothing when the claim is absent', async () => {
    expect((await verifierFor({ claims: { permissions: 'roles' } }).verify(mint())).permissions).toEqual([]);
  });

  it('refuses a mapped claim that is neither a string nor an array of strings', async () => {
    await expectRefused(verifierFor({ claims: { permissions: 'realm_access.roles' } }).verify(mint({ realm_access: { roles: [1] } })), /realm_access.roles must be an array of strings/);
  });

  it('never reads an inherited member through the path', async () => {
    expect((await verifierFor({ claims: { scopes: 'realm_access.constructor.name' } }).verify(mint({ realm_access: {} }))).scopes).toEqual([]);
  });

  it('is a TypeError for an empty path segment', () => {
    expect(() => verifierFor({ claims: { scopes: 'realm_access..roles' } })).toThrow(/`claims.scopes` must be a claim name or a dotted path/);
  });
});
