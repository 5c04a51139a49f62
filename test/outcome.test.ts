/**
 * `verifier.authenticate(request, { optional })`, the seam every host is built on: four kinds of
 * outcome, synchronous whenever nothing has to be awaited, each refusal carrying the response to
 * send as it is.
 */
import { describe, expect, it } from 'vitest';
import { AccessTokenError, KeysUnavailableError } from '../src/errors.js';
import type { Outcome } from '../src/outcome.js';
import { closedPort } from './helpers/http.js';
import { mint, nowSeconds, verifierFor } from './helpers/tokens.js';

const request = (headers: Record<string, string> = {}) => ({ method: 'GET', url: 'https://api.example.com/messages', headers });
const bearer = (token: string) => request({ authorization: `Bearer ${token}` });

describe('verifier.authenticate', () => {
  it('answers an accepted token synchronously when the key is in memory', () => {
    const outcome = verifierFor().authenticate(bearer(mint()));
    expect(outcome).not.toBeInstanceOf(Promise);
    expect(outcome).toMatchObject({ kind: 'accepted', auth: { subject: 'auth0|user-1', binding: 'bearer' } });
  });

  it('refuses a bad token with the error and the complete response, synchronously', () => {
    const outcome = verifierFor({ realm: 'api' }).authenticate(bearer(mint({ exp: nowSeconds() - 60 }))) as Outcome;
    expect(outcome.kind).toBe('refused');
    if (outcome.kind !== 'refused') return;
    expect(outcome.error).toBeInstanceOf(AccessTokenError);
    expect(outcome.error.reason).toMatch(/exp .* in the past/);
    expect(outcome.response).toEqual({
      status: 401,
      headers: {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="api", error="invalid_token", error_description="${outcome.error.description}"`,
      },
      body: JSON.stringify({ error: 'invalid_token', error_description: outcome.error.description }),
    });
  });

  it('refuses a request without credentials unless optional, which makes it anonymous', () => {
    const verifier = verifierFor({ realm: 'api' });
    expect(verifier.authenticate(request())).toMatchObject({ kind: 'refused', response: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' } } });
    expect(verifier.authenticate(request(), { optional: true })).toEqual({ kind: 'anonymous', challenge: verifier.challenge });
  });

  it('still refuses a bad token when optional', () => {
    const outcome = verifierFor().authenticate(bearer('not-a-token'), { optional: true });
    expect(outcome).toMatchObject({ kind: 'refused', response: { status: 401 } });
  });

  it('refuses a malformed request with 400', () => {
    const outcome = verifierFor().authenticate(request({ authorization: 'Bearer two tokens' }));
    expect(outcome).toMatchObject({ kind: 'refused', error: { code: 'invalid_request' }, response: { status: 400 } });
  });

  it('reports keys it cannot fetch as unavailable with Retry-After and a body that names nothing internal', async () => {
    const jwksUri = `http://127.0.0.1:${await closedPort()}/jwks.json`;
    const outcome = await verifierFor({ jwksUri, keys: undefined }).authenticate(bearer(mint()));
    expect(outcome.kind).toBe('unavailable');
    if (outcome.kind !== 'unavailable') return;
    expect(outcome.error).toBeInstanceOf(KeysUnavailableError);
    expect(outcome.error.reason).toContain(jwksUri);
    expect(outcome.response.status).toBe(503);
    expect(outcome.response.headers['retry-after']).toMatch(/^\d+$/);
    expect(outcome.response.body).toBe(JSON.stringify({ error: 'temporarily_unavailable', error_description: outcome.error.description }));
    expect(outcome.response.body).not.toContain('127.0.0.1');
    expect(outcome.error.message).toBe(outcome.error.description);
  });

  it('refuses with an error built complete in the verifier\'s name, a new one each time', () => {
    const verifier = verifierFor({ realm: 'api' });
    const first = verifier.authenticate(bearer(mint({ aud: 'https://other.example' })));
    const second = verifier.authenticate(bearer(mint({ aud: 'https://other.example' })));
    if (first instanceof Promise || second instanceof Promise || first.kind !== 'refused' || second.kind !== 'refused') throw new Error('expected refusals');
    expect(first.error.challenge).toBe(verifier.challenge);
    expect(first.error).not.toBe(second.error);
    expect(first.error.wwwAuthenticate).toMatch(/^Bearer realm="api", error="invalid_token"/);
  });
});
