/**
 * The misconfigurations new users make, each made on purpose: every one is refused with its own
 * reason code, a log reason that names the cause and the fix, and a client answer that says no
 * more than RFC 6750's description.
 */
import { CompactEncrypt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, REASON_CODES, createVerifier, permissionGuard, type AuthResult, type ReasonCode } from '../src/index.js';
import { hmacSecret, keyFor, signJws } from './helpers/keys.js';
import { errorOf, publicJwk, startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { expectRefused } from './helpers/refusal.js';
import { AUDIENCE, ISSUER, auth0Claims, mint, verifierFor } from './helpers/tokens.js';

const request = (headers: Record<string, string>) => ({ method: 'GET', url: 'https://api.example.com/', headers });

/** The error's reason code, and the table's hint for it (what the README shows). */
function expectCode(error: { reasonCode: string }, code: ReasonCode): void {
  expect(error.reasonCode).toBe(code);
  expect(REASON_CODES[code].hint.length).toBeGreaterThan(10);
}

describe('an issuer configured without the trailing slash the issuer uses, with discovery', () => {
  let server: JwksServer;
  beforeEach(async () => {
    server = await startJwksServer();
    // The issuer's own identifier ends with a slash (as Auth0's does); the user left it out.
    server.route('/.well-known/openid-configuration', { json: { issuer: `${server.origin}/`, jwks_uri: server.url('/jwks') } });
    server.route('/jwks', { json: { keys: [await publicJwk('k1')] } });
  });
  afterEach(() => server.close());

  it('makes ready() reject with a configuration error that names the issuer to set', async () => {
    const verifier = createVerifier({ issuer: server.origin, audience: AUDIENCE });
    const error = await errorOf(() => verifier.ready());
    expect(error).toBeInstanceOf(ConfigurationError);
    expectCode(error as ConfigurationError, 'issuer_misconfigured');
    expect((error as ConfigurationError).reason).toContain(`your \`issuer\` lacks the trailing slash the issuer uses: set it to ${server.origin}/`);
    expect(REASON_CODES.issuer_misconfigured.hint).toContain('ready()');
  });

  it('answers requests 500 server_error without Retry-After, so clients do not retry a configuration error', async () => {
    const verifier = createVerifier({ issuer: server.origin, audience: AUDIENCE });
    const outcome = await verifier.authenticate(request({ authorization: `Bearer ${mint()}` }));
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind !== 'unavailable') return;
    expectCode(outcome.error, 'issuer_misconfigured');
    expect(outcome.response.status).toBe(500);
    expect(outcome.response.headers['retry-after']).toBeUndefined();
    expect(outcome.response.body).not.toContain('127.0.0.1');
  });

  it('is fixed by the domain shorthand, which derives the issuer with its slash', () => {
    // Only the derived string is checked here: the domain form needs https, and this server is http.
    expect(() => createVerifier({ domain: 'tenant.eu.auth0.com', audience: AUDIENCE, jwksUri: 'https://tenant.eu.auth0.com/.well-known/jwks.json' })).not.toThrow();
  });
});

describe('a token from another tenant', () => {
  it('says the unverified iss names another issuer, beside the unknown kid', async () => {
    const other = keyFor('RS256', 'other-tenant-key');
    const token = mint({ iss: 'https://other-tenant.eu.auth0.com/' }, { key: other });
    const error = await expectRefused(verifierFor().verify(token), /no configured key has kid "other-tenant-key".*unverified\) iss is "https:\/\/other-tenant\.eu\.auth0\.com\/", not the configured issuer/);
    expectCode(error, 'unknown_kid');
    expect(error.description).toBe('The token cannot be verified.');
  });

  it('says nothing of the issuer when the token names ours', async () => {
    const error = await expectRefused(verifierFor().verify(mint({}, { key: keyFor('RS256', 'withdrawn') })));
    expectCode(error, 'unknown_kid');
    expect(error.reason).not.toContain('another issuer');
  });
});

describe('no permissions claim at an API that requires permissions', () => {
  it('says the claim is missing altogether and how Auth0 adds it', async () => {
    const auth = (await verifierFor().verify(mint({ permissions: undefined }))) as AuthResult;
    const refusal = permissionGuard('read:messages')(auth);
    expect(refusal?.response.status).toBe(403);
    expectCode(refusal!.error, 'no_permissions_claim');
    expect(refusal!.error.reason).toContain('no permissions claim at all');
    expect(refusal!.error.reason).toContain('enable RBAC and "Add Permissions in the Access Token"');
  });

  it('is missing_permission when the claim is there without the permission', async () => {
    const auth = (await verifierFor().verify(mint({ permissions: ['other'] }))) as AuthResult;
    expectCode(permissionGuard('read:messages')(auth)!.error, 'missing_permission');
  });
});

describe('a wrong HS256 secret', () => {
  it('says the secret differs: the API signing secret, not a client secret', async () => {
    const token = signJws({ alg: 'HS256', typ: 'JWT' }, auth0Claims(), hmacSecret());
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], secret: hmacSecret() });
    const error = await expectRefused(verifier.verify(token), /the secret differs from the one the issuer signs with \(on Auth0: the API's signing secret, not a client secret\)/);
    expectCode(error, 'bad_signature');
  });

  it('does not talk of secrets for an asymmetric key', async () => {
    const token = mint();
    const tampered = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(342)}`;
    const error = await expectRefused(verifierFor().verify(tampered));
    expectCode(error, 'bad_signature');
    expect(error.reason).not.toContain('secret');
  });
});

describe('a token issued when the client requested no audience (Auth0)', () => {
  it('an opaque token: request the API audience', async () => {
    const error = await expectRefused(verifierFor().verify('Xq3vNw9s0aZtqv1V3y6dQmNf2YpLr8Kc'), /opaque.*request the API's audience/);
    expectCode(error, 'opaque_token');
  });

  it('a JWE with alg dir: request the API audience', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{}')).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(new Uint8Array(32));
    const error = await expectRefused(verifierFor().verify(jwe), /alg "dir".*request the API's audience/);
    expectCode(error, 'no_audience_requested');
  });
});

describe('a token sent where the API does not read it', () => {
  const clientSees = { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } };

  it('Authorization without the Bearer prefix: says what to send, in the log only', async () => {
    const outcome = await verifierFor().authenticate(request({ authorization: mint() }));
    expect(outcome.kind).toBe('refused');
    if (outcome.kind !== 'refused') return;
    expectCode(outcome.error, 'missing_bearer_prefix');
    expect(outcome.error.reason).toContain('a bare token without a scheme: send Authorization: "Bearer <token>"');
    expect(outcome.response).toMatchObject(clientSees);
    expect(JSON.parse(outcome.response.body)).toEqual({ error: 'missing_credentials', error_description: 'The request has no access token.' });
  });

  it.each(['x-access-token', 'token'])('a token in %s with no Authorization header: names the header and what to send', async (header) => {
    const outcome = await verifierFor().authenticate(request({ [header]: mint() }));
    if (outcome.kind !== 'refused') throw new Error(`expected a refusal, got ${outcome.kind}`);
    expectCode(outcome.error, 'token_in_other_header');
    expect(outcome.error.reason).toContain(`a "${header}" header holds a value: send the token as Authorization: "Bearer <token>"`);
    expect(outcome.response).toMatchObject(clientSees);
  });

  it('another scheme (Basic) is named, and is still plain missing_credentials', async () => {
    const outcome = await verifierFor().authenticate(request({ authorization: 'Basic dXNlcjpwYXNz' }));
    if (outcome.kind !== 'refused') throw new Error('expected a refusal');
    expectCode(outcome.error, 'missing_credentials');
    expect(outcome.error.reason).toContain('uses the scheme "Basic", which this API does not accept');
  });

  it('stays anonymous under optional: the diagnosis changes only the log', async () => {
    const outcome = await verifierFor().authenticate(request({ 'x-access-token': mint() }), { optional: true });
    expect(outcome.kind).toBe('anonymous');
  });
});

describe('the reason codes of the commonest claim mistakes', () => {
  it.each([
    ['audience differing by a trailing slash', { aud: `${AUDIENCE}/` }, 'audience_trailing_slash'],
    ['an ID token', { aud: 'client-1', azp: 'client-1', nonce: 'n' }, 'looks_like_id_token'],
    ['another audience', { aud: 'https://other.example.com' }, 'audience_mismatch'],
    ['issuer differing by a trailing slash', { iss: ISSUER.slice(0, -1) }, 'issuer_trailing_slash'],
    ['another issuer', { iss: 'https://other.example.com/' }, 'issuer_mismatch'],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 60 }, 'expired'],
    ['a token not yet valid', { nbf: Math.floor(Date.now() / 1000) + 60 }, 'not_yet_valid'],
  ] as const)('%s', async (_, claims, code) => {
    expectCode(await expectRefused(verifierFor().verify(mint(claims))), code);
  });

  it('alg outside the allow-list', async () => {
    expectCode(await expectRefused(verifierFor({ algorithms: ['ES256'], keys: { keys: [keyFor('ES256').jwk] } }).verify(mint())), 'alg_not_allowed');
  });

  it('dialect mismatch', async () => {
    expectCode(await expectRefused(verifierFor({ dialect: 'rfc9068' }).verify(mint())), 'dialect_mismatch');
  });
});

describe('clockTolerance defaults to 5 s', () => {
  it('accepts a token whose iat is 1 s ahead of the server clock', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifierFor().verify(mint({ iat: now + 1, nbf: now + 1 }))).resolves.toBeDefined();
  });

  it('refuses it with clockTolerance 0', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectCode(await expectRefused(verifierFor({ clockTolerance: 0 }).verify(mint({ iat: now + 2 }))), 'issued_in_future');
  });
});
