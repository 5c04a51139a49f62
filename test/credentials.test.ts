/**
 * Finding the token in a request (RFC 6750 §2): exactly one token68 credential, in exactly one
 * place; the query string and form body only when enabled; no credentials is a 401 challenge
 * without an error code (RFC 6750 §3.1).
 */
import { describe, expect, it } from 'vitest';
import type { RequestLike } from '../src/types.js';
import { expectRefused } from './helpers/refusal.js';
import { mint, verifierFor } from './helpers/tokens.js';

const token = mint();
const URL_BASE = 'https://api.example.com/messages';

function request(headers: RequestLike['headers'] = {}, extra: Partial<RequestLike> = {}): RequestLike {
  return { method: 'GET', url: URL_BASE, headers, ...extra };
}

describe('the Authorization header', () => {
  it('accepts "Bearer <token>"', async () => {
    const result = await verifierFor().verifyRequest(request({ authorization: `Bearer ${token}` }));
    expect(result.token).toBe(token);
  });

  it.each(['bearer', 'BEARER', 'bEaReR'])('treats the scheme case-insensitively (%s)', async (scheme) => {
    const result = await verifierFor().verifyRequest(request({ authorization: `${scheme} ${token}` }));
    expect(result.token).toBe(token);
  });

  it('finds the header whatever the case of its name in a plain record', async () => {
    const result = await verifierFor().verifyRequest(request({ Authorization: `Bearer ${token}` }));
    expect(result.token).toBe(token);
  });

  it('reads a Fetch API Headers object', async () => {
    const result = await verifierFor().verifyRequest(request(new Headers({ authorization: `Bearer ${token}` })));
    expect(result.token).toBe(token);
  });

  it.each([
    ['a scheme with no token', 'Bearer'],
    ['a scheme followed by blanks only', 'Bearer    '],
    ['two tokens', `Bearer ${token} ${token}`],
    ['characters outside token68', 'Bearer abc$def'],
    ['a comma-separated list', `Bearer ${token}, Bearer ${token}`],
    ['padding in the middle', 'Bearer abc=def'],
  ])('refuses %s with 400 invalid_request', async (_, header) => {
    const error = await expectRefused(verifierFor().verifyRequest(request({ authorization: header })), undefined, 'invalid_request');
    expect(error.status).toBe(400);
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_request", error_description="[^"]+"$/);
  });

  it('refuses two Authorization headers in a record with 400 invalid_request', async () => {
    const headers = { authorization: [`Bearer ${token}`, `Bearer ${token}`] };
    const error = await expectRefused(verifierFor().verifyRequest(request(headers)), /./, 'invalid_request');
    expect(error.status).toBe(400);
  });

  it('refuses two Authorization headers in a Fetch Headers object with 400 invalid_request', async () => {
    const headers = new Headers([
      ['authorization', `Bearer ${token}`],
      ['authorization', `Bearer ${token}`],
    ]);
    const error = await expectRefused(verifierFor().verifyRequest(request(headers)), /./, 'invalid_request');
    expect(error.status).toBe(400);
  });

  it('treats a scheme it does not accept (Basic) as no credentials at all', async () => {
    const error = await expectRefused(
      verifierFor().verifyRequest(request({ authorization: 'Basic dXNlcjpwYXNz' })),
      undefined,
      'missing_credentials',
    );
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer');
  });

  it('treats the DPoP scheme as no credentials when the verifier does not accept DPoP', async () => {
    await expectRefused(verifierFor().verifyRequest(request({ authorization: `DPoP ${token}` })), undefined, 'missing_credentials');
  });

  it('does not read DPoP headers at all when the verifier does not accept DPoP', async () => {
    const auth = await verifierFor().verifyRequest(request({ authorization: `Bearer ${token}`, dpop: ['proof-a', 'proof-b'] }));
    expect(auth.binding).toBe('bearer');
  });
});

describe('a request without credentials', () => {
  it('is refused with 401 and a challenge naming the realm and no error code', async () => {
    const error = await expectRefused(verifierFor({ realm: 'messages-api' }).verifyRequest(request()), undefined, 'missing_credentials');
    expect(error.status).toBe(401);
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="messages-api"' });
  });

  it('is challenged with a bare "Bearer" when no realm is configured', async () => {
    const error = await expectRefused(verifierFor().verifyRequest(request()), undefined, 'missing_credentials');
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  });

  it('is what an empty Authorization header amounts to', async () => {
    await expectRefused(verifierFor().verifyRequest(request({ authorization: '' })), undefined, 'missing_credentials');
  });
});

describe('the query string and the form body', () => {
  const inQuery = `${URL_BASE}?access_token=${token}`;

  it('ignores an access_token query parameter by default', async () => {
    await expectRefused(verifierFor().verifyRequest(request({}, { url: inQuery })), undefined, 'missing_credentials');
  });

  it('ignores an access_token body field by default', async () => {
    await expectRefused(verifierFor().verifyRequest(request({}, { body: { access_token: token } })), undefined, 'missing_credentials');
  });

  it('uses the header and ignores a query token when only the header is enabled', async () => {
    const result = await verifierFor().verifyRequest(request({ authorization: `Bearer ${token}` }, { url: `${URL_BASE}?access_token=other` }));
    expect(result.token).toBe(token);
  });

  it('accepts a query token when tokenLocations enables the query', async () => {
    const result = await verifierFor({ tokenLocations: ['query'] }).verifyRequest(request({}, { url: inQuery }));
    expect(result.token).toBe(token);
  });

  it('accepts a body token when tokenLocations enables the body', async () => {
    const result = await verifierFor({ tokenLocations: ['body'] }).verifyRequest(request({}, { body: { access_token: token } }));
    expect(result.token).toBe(token);
  });

  it('ignores the header when tokenLocations leaves it out', async () => {
    const verifier = verifierFor({ tokenLocations: ['query'] });
    await expectRefused(verifier.verifyRequest(request({ authorization: `Bearer ${token}` })), undefined, 'missing_credentials');
  });

  it('refuses credentials in both the header and the query with 400 invalid_request', async () => {
    const verifier = verifierFor({ tokenLocations: ['header', 'query'] });
    const error = await expectRefused(
      verifier.verifyRequest(request({ authorization: `Bearer ${token}` }, { url: inQuery })),
      /2 places/,
      'invalid_request',
    );
    expect(error.status).toBe(400);
  });

  it('refuses credentials in both the header and the body with 400 invalid_request', async () => {
    const verifier = verifierFor({ tokenLocations: ['header', 'body'] });
    await expectRefused(
      verifier.verifyRequest(request({ authorization: `Bearer ${token}` }, { body: { access_token: token } })),
      /2 places/,
      'invalid_request',
    );
  });

  it('refuses two access_token query parameters with 400 invalid_request', async () => {
    const verifier = verifierFor({ tokenLocations: ['query'] });
    await expectRefused(verifier.verifyRequest(request({}, { url: `${inQuery}&access_token=${token}` })), undefined, 'invalid_request');
  });

  it('refuses a body access_token that is not a string with 400 invalid_request', async () => {
    const verifier = verifierFor({ tokenLocations: ['body'] });
    await expectRefused(verifier.verifyRequest(request({}, { body: { access_token: [token] } })), undefined, 'invalid_request');
  });

  it('refuses an empty query token with 400 invalid_request', async () => {
    const verifier = verifierFor({ tokenLocations: ['query'] });
    await expectRefused(verifier.verifyRequest(request({}, { url: `${URL_BASE}?access_token=` })), undefined, 'invalid_request');
  });
});

describe('maxTokenLength', () => {
  it('accepts a token of exactly maxTokenLength characters', async () => {
    const result = await verifierFor({ maxTokenLength: token.length }).verifyRequest(request({ authorization: `Bearer ${token}` }));
    expect(result.token).toBe(token);
  });

  it('refuses a longer token with 401 invalid_token before looking inside it', async () => {
    const verifier = verifierFor({ maxTokenLength: token.length - 1 });
    await expectRefused(verifier.verifyRequest(request({ authorization: `Bearer ${token}` })), /over maxTokenLength/);
  });

  it('refuses an oversized token handed to verify() directly', async () => {
    await expectRefused(verifierFor({ maxTokenLength: 100 }).verify(token), /over maxTokenLength/);
  });

  it('bounds tokens to 16384 characters by default', async () => {
    const huge = `${'a'.repeat(9000)}.${'b'.repeat(9000)}.c`;
    await expectRefused(verifierFor().verifyRequest(request({ authorization: `Bearer ${huge}` })), /over maxTokenLength 16384/);
  });
});

describe('tokenHeader and tokenCookie', () => {
  const at = (headers: Record<string, string | string[]>): RequestLike => ({ method: 'GET', url: 'https://api.example.com/', headers });

  it('reads the token from the named header only when tokenHeader is set', async () => {
    await expect(verifierFor({ tokenHeader: 'X-Access-Token' }).verifyRequest(at({ 'x-access-token': mint() }))).resolves.toBeDefined();
    await expectRefused(verifierFor().verifyRequest(at({ 'x-access-token': mint() })), /x-access-token/, 'missing_credentials');
  });

  it('reads the token from the named cookie only when tokenCookie is set', async () => {
    await expect(verifierFor({ tokenCookie: 'at' }).verifyRequest(at({ cookie: `theme=dark; at=${mint()}` }))).resolves.toBeDefined();
    await expectRefused(verifierFor().verifyRequest(at({ cookie: `at=${mint()}` })), undefined, 'missing_credentials');
  });

  it('still refuses two tokens: a cookie and an Authorization header, or the cookie twice', async () => {
    const both = await expectRefused(verifierFor({ tokenCookie: 'at' }).verifyRequest(at({ authorization: `Bearer ${mint()}`, cookie: `at=${mint()}` })), /2 places/, 'invalid_request');
    expect(both.reasonCode).toBe('multiple_tokens');
    await expectRefused(verifierFor({ tokenCookie: 'at' }).verifyRequest(at({ cookie: `at=${mint()}; at=${mint()}` })), /2 places/, 'invalid_request');
    await expectRefused(verifierFor({ tokenHeader: 'x-access-token' }).verifyRequest(at({ 'x-access-token': [mint(), mint()] })), /2 places/, 'invalid_request');
  });

  it('refuses names that are not header or cookie names, and Authorization itself', () => {
    expect(() => verifierFor({ tokenHeader: 'x access' })).toThrow(TypeError);
    expect(() => verifierFor({ tokenHeader: 'authorization' })).toThrow(TypeError);
    expect(() => verifierFor({ tokenCookie: 'a;b' })).toThrow(TypeError);
  });
});
