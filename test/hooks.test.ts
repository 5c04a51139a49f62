/**
 * The verifier's hooks (src/hooks.ts) on every entry — verify, verifyRequest, authenticate — and
 * for the key source and the result cache; a failing hook is contained. Through the adapters:
 * test/adapters/hooks.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createVerifier, type VerifierHooks } from '../src/index.js';
import { keyFor } from './helpers/keys.js';
import { startJwksServer, type JwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, mint, verifierFor } from './helpers/tokens.js';

function recording() {
  const seen: string[] = [];
  const hooks: VerifierHooks = {
    verified: (event) => void seen.push(`verified ${event.subject}`),
    refused: (event) => void seen.push(`refused ${event.reasonCode}`),
    resultCacheHit: () => void seen.push('hit'),
    resultCacheMiss: () => void seen.push('miss'),
  };
  return { seen, hooks };
}

describe('hooks', () => {
  it('verify, verifyRequest and authenticate all report their decision', async () => {
    const { seen, hooks } = recording();
    const verifier = verifierFor({ hooks });
    await verifier.verify(mint());
    await verifier.verify(mint({ exp: 1 })).catch(() => undefined);
    await verifier.verifyRequest({ method: 'GET', url: 'https://api.example.com/', headers: {} }).catch(() => undefined);
    verifier.authenticate({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${mint()}` } });
    expect(seen).toEqual(['verified auth0|user-1', 'refused expired', 'refused missing_credentials', 'verified auth0|user-1']);
  });

  it('an anonymous request under optional is not a refusal', () => {
    const { seen, hooks } = recording();
    verifierFor({ hooks }).authenticate({ method: 'GET', url: 'https://api.example.com/', headers: {} }, { optional: true });
    expect(seen).toEqual([]);
  });

  it('reports result-cache misses and hits', async () => {
    const { seen, hooks } = recording();
    const verifier = verifierFor({ hooks, resultCache: true });
    const token = mint();
    for (let i = 0; i < 3; i++) await verifier.verify(token);
    // Stored on its second sighting, answered from the cache on the third.
    expect(seen.filter((event) => event === 'hit' || event === 'miss')).toEqual(['miss', 'miss', 'hit']);
  });

  it('a throwing or rejecting hook changes nothing and is reported once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const verifier = verifierFor({
        hooks: {
          verified: () => {
            throw new Error('logger down');
          },
          refused: () => Promise.reject(new Error('async logger down')) as unknown as void,
        },
      });
      for (let i = 0; i < 3; i++) await expect(verifier.verify(mint())).resolves.toBeDefined();
      for (let i = 0; i < 3; i++) await expect(verifier.verify(mint({ exp: 1 }))).rejects.toMatchObject({ reasonCode: 'expired' });
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses a hook that is not a function, and an unknown hook name', () => {
    expect(() => verifierFor({ hooks: { verified: 'log' as never } })).toThrow('`hooks.verified` must be a function');
    expect(() => verifierFor({ hooks: { verifed: () => undefined } as never })).toThrow(/did you mean `hooks.verified`/);
  });

  describe('key fetches', () => {
    let server: JwksServer;
    beforeEach(async () => {
      server = await startJwksServer();
    });
    afterEach(() => server.close());

    it('reports a failed JWKS fetch with its URL, status and duration, and ready() rejects with the 503', async () => {
      server.route('/jwks', { status: 500, json: {} });
      const failures: unknown[] = [];
      const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.url('/jwks'), hooks: { keysFetchFailed: (event) => void failures.push(event) } });
      await expect(verifier.ready()).rejects.toMatchObject({ status: 503, reasonCode: 'keys_unavailable' });
      expect(failures).toEqual([{ document: 'jwks', url: server.url('/jwks'), status: 500, durationMs: expect.any(Number), reason: `${server.url('/jwks')}: HTTP 500` }]);
    });

    it('ready() resolves once the key set is in memory: the first request then awaits nothing', async () => {
      server.route('/jwks', { json: { keys: [keyFor('RS256').jwk] } });
      const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.url('/jwks') });
      await verifier.ready();
      const outcome = verifier.authenticate({ method: 'GET', url: 'https://api.example.com/', headers: { authorization: `Bearer ${mint()}` } });
      expect(outcome).not.toBeInstanceOf(Promise);
      expect(server.hits('/jwks')).toBe(1);
    });
  });
});
