/**
 * The Fetch-API adapter's translation, on Node's own `Request`/`Response`: the result or a ready
 * `Response`, guards on the result, the optional mode, and our 503 as a `Response`. The same entry
 * runs inside workerd in workerd.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate,
  createVerifier,
  errorResponse,
  KeysUnavailableError,
  requirePermissions,
  requireScopes,
  type AuthResult,
  type GuardError,
  type VerifierOptions,
} from '../../adapters/web.js';
import { LocalIssuer } from '../../src/testing.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let options: VerifierOptions;

beforeAll(async () => {
  issuer = await LocalIssuer.start({ algorithms: ['RS256', 'ES256'] });
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, realm: 'api', algorithms: ['RS256', 'ES256'] };
});
afterAll(() => issuer.close());

const request = (token?: string, init: RequestInit = {}) =>
  new Request('https://api.example.com/messages', { ...init, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

function isResponse(value: unknown): value is Response {
  return value instanceof Response;
}

describe('web: authenticate', () => {
  it('resolves with the verified token (RS256 and ES256 through WebCrypto)', async () => {
    const auth = authenticate(options);
    for (const alg of ['RS256', 'ES256']) {
      const result = await auth(request(await issuer.mint(AUDIENCE, {}, { alg })));
      expect(isResponse(result)).toBe(false);
      expect((result as AuthResult).subject).toBe('auth0|demo-user');
      expect((result as AuthResult).header.alg).toBe(alg);
    }
  });

  it('accepts a verifier made by the web createVerifier', async () => {
    const auth = authenticate(createVerifier(options));
    const result = await auth(request(await issuer.mint(AUDIENCE)));
    expect((result as AuthResult).clientId).toBe('demo-client-id');
  });

  it('answers a refusal with a ready Response: status, WWW-Authenticate, JSON body', async () => {
    const seen: GuardError[] = [];
    const auth = authenticate(options, { onRefusal: (error) => seen.push(error) });
    const result = await auth(request(await issuer.mint('https://other.example.com/')));
    if (!isResponse(result)) throw new Error('expected a Response');
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
    expect(result.headers.get('content-type')).toBe('application/json');
    expect(await result.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(seen[0]?.reason).toContain('aud');

    const none = await auth(request());
    expect((none as Response).status).toBe(401);
    expect((none as Response).headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('optional mode: undefined for no credentials, a Response for bad ones', async () => {
    const auth = authenticate(options, { optional: true });
    expect(await auth(request())).toBeUndefined();
    const malformed = await auth(new Request('https://api.example.com/', { headers: { authorization: 'Bearer a b' } }));
    expect((malformed as Response).status).toBe(400);
  });

  it('our 503 is a Response with Retry-After and temporarily_unavailable; onRefusal sees it', async () => {
    const seen: GuardError[] = [];
    const auth = authenticate({ ...options, jwksUri: 'http://127.0.0.1:1/jwks.json' }, { onRefusal: (error) => seen.push(error) });
    const result = await auth(request(await issuer.mint(AUDIENCE)));
    if (!isResponse(result)) throw new Error('expected a Response');
    expect(result.status).toBe(503);
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(result.headers.get('www-authenticate')).toBeNull();
    expect(await result.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(seen[0]).toBeInstanceOf(KeysUnavailableError);
  });
});

describe('web: guards', () => {
  let auth: AuthResult;
  beforeAll(async () => {
    auth = (await authenticate(options)(request(await issuer.mint(AUDIENCE, { scope: 'read:messages', permissions: ['read:messages'] })))) as AuthResult;
  });

  it('pass: undefined', () => {
    expect(requireScopes('read:messages')(auth)).toBeUndefined();
    expect(requirePermissions(['read:messages'])(auth)).toBeUndefined();
    expect(requireScopes(['write:messages', 'read:messages'], { match: 'any' })(auth)).toBeUndefined();
  });

  it('fail: a 403 Response with the challenge of the verifier that made the result', async () => {
    const refused: string[] = [];
    const response = requirePermissions('delete:messages', { onRefusal: (error) => refused.push(error.reason) })(auth);
    expect(response?.status).toBe(403);
    expect(response?.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="insufficient_scope", .*scope="delete:messages"$/);
    expect(await response?.json()).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
    expect(refused[0]).toContain('delete:messages');
  });

  it('on no result (an optional route) answer 401', () => {
    expect(requireScopes('read:messages')(undefined)?.status).toBe(401);
  });

  it('errorResponse renders any of our errors', async () => {
    const response = errorResponse(new KeysUnavailableError('test', 12));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('12');
  });
});
