/**
 * `verifier.ready()`: keys in hand now, or the 503 a request would get — for readiness probes and
 * for failing at boot. Against a real JWKS endpoint and real issuer metadata on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeysUnavailableError, createVerifier } from '../../src/index.js';
import { startJwksServer, type JwksServer } from '../helpers/jwks-server.js';
import { keyFor } from '../helpers/keys.js';
import { AUDIENCE, ISSUER } from '../helpers/tokens.js';

let server: JwksServer;
beforeEach(async () => {
  server = await startJwksServer();
});
afterEach(() => server.close());

const key = keyFor('RS256');

describe('verifier.ready()', () => {
  it('fetches the key set once and resolves, then answers from memory', async () => {
    server.route('/jwks', { json: { keys: [key.jwk] } });
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.url('/jwks') });
    await verifier.ready();
    await verifier.ready();
    expect(server.hits('/jwks')).toBe(1);
  });

  it('rejects with the 503 error naming the failure when the key set cannot be fetched', async () => {
    server.route('/jwks', { status: 500 });
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: server.url('/jwks') });
    const error = await verifier.ready().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect((error as KeysUnavailableError).reason).toContain(server.url('/jwks'));
  });

  it('discovers the key set from the issuer metadata first', async () => {
    const issuer = server.url('/tenant');
    server.route('/tenant/.well-known/openid-configuration', { json: { issuer, jwks_uri: server.url('/jwks') } });
    server.route('/jwks', { json: { keys: [key.jwk] } });
    await createVerifier({ issuer, audience: AUDIENCE }).ready();
    expect(server.hits('/jwks')).toBe(1);
  });

  it('rejects when the issuer metadata cannot be had', async () => {
    const verifier = createVerifier({ issuer: server.url('/nobody'), audience: AUDIENCE });
    await expect(verifier.ready()).rejects.toBeInstanceOf(KeysUnavailableError);
  });

  it('waits for every configured issuer, and rejects while one of them has no keys', async () => {
    server.route('/a/jwks', { json: { keys: [key.jwk] } });
    server.route('/b/jwks', { status: 500 });
    const verifier = createVerifier({
      issuers: [
        { issuer: 'https://a.example/', audience: AUDIENCE, jwksUri: server.url('/a/jwks') },
        { issuer: 'https://b.example/', audience: AUDIENCE, jwksUri: server.url('/b/jwks') },
      ],
      jwks: { cooldown: 0 },
    });
    await expect(verifier.ready()).rejects.toBeInstanceOf(KeysUnavailableError);
    server.route('/b/jwks', { json: { keys: [key.jwk] } });
    await verifier.ready();
    expect([server.hits('/a/jwks'), server.hits('/b/jwks')]).toEqual([1, 2]);
  });

  it('resolves at once for static keys', async () => {
    await createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } }).ready();
    expect(server.totalHits).toBe(0);
  });
});
