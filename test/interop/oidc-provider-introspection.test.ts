/**
 * Opaque access tokens from a real authorization server: `oidc-provider` issues reference tokens
 * (client credentials grant, resource indicators with `accessTokenFormat: 'opaque'`) and serves
 * its introspection (RFC 7662), revocation (RFC 7009) and signed-introspection (RFC 9701)
 * endpoints on 127.0.0.1. The resource server finds the introspection endpoint by discovery and
 * authenticates as its own client; every introspection request is counted on the server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair as generateDpopKeyPair, generateProof, type KeyPair } from 'dpop';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate as expressAuthenticate } from '../../adapters/express.js';
import guard from '../../adapters/fastify.js';
import { authenticate as koaAuthenticate } from '../../adapters/koa.js';
import { authenticate as webAuthenticate, createVerifier as createWebVerifier, introspectedTokens } from '../../adapters/web.js';
import { createVerifier, type AuthResult, type VerifierOptions } from '../../src/index.js';
import type { IntrospectionOptions } from '../../src/options.js';
import { listen, type RunningServer } from '../helpers/http.js';
import { errorOf, sleep } from '../helpers/jwks-server.js';
import type { AccessTokenError, GuardError } from '../../src/errors.js';

const API = 'https://api.orders.example/';
const OTHER_API = 'https://api.billing.example/';
const MACHINE_SECRET = 'a-long-enough-secret-for-the-machine-client';
const API_SECRET = 'a-long-enough-secret-for-the-resource-server';

let server: Server;
let issuer: string;
/** Introspection requests the provider received. */
let introspections = 0;
let apiJwtKey: JWK;
const running: RunningServer[] = [];

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const apiKeys = await generateKeyPair('ES256', { extractable: true });
  apiJwtKey = { ...(await exportJWK(apiKeys.privateKey)), kid: 'api-assertion-key', alg: 'ES256' };
  const { d: _private, ...apiPublicKey } = apiJwtKey;

  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const machine = { grant_types: ['client_credentials'], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256', introspection_signed_response_alg: 'ES256', token_endpoint_auth_method: 'client_secret_post', client_secret: MACHINE_SECRET };
  const api = { grant_types: [], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256', introspection_signed_response_alg: 'ES256' };
  const provider = new Provider(issuer, {
    clients: [
      { ...machine, client_id: 'machine' },
      { ...machine, client_id: 'dpop-machine', dpop_bound_access_tokens: true },
      { ...api, client_id: 'orders-api', client_secret: API_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
      { ...api, client_id: 'orders-api-post', client_secret: API_SECRET, token_endpoint_auth_method: 'client_secret_post' },
      { ...api, client_id: 'orders-api-jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [apiPublicKey] } },
      { ...api, client_id: 'orders-api-signed', client_secret: API_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'as-key-1', alg: 'ES256', use: 'sig' }] },
    // `short:lived` tokens expire in 2 s, to see an expired token refused.
    ttl: { ClientCredentials: (_ctx: unknown, token: { scope?: string }) => (token.scope?.includes('short:lived') ? 2 : 600) },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      jwtIntrospection: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({ audience: resource, scope: 'read:orders write:orders short:lived', accessTokenFormat: 'opaque' }),
      },
    },
  });
  const callback = provider.callback();
  server.on('request', (request, response) => {
    if (request.url?.startsWith('/token/introspection')) introspections++;
    callback(request, response);
  });
});

afterAll(async () => {
  for (const app of running) await app.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface TokenInit {
  resource?: string;
  scope?: string;
  clientId?: string;
  dpop?: KeyPair;
}

async function opaqueToken(init: TokenInit = {}): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (init.dpop) headers.dpop = await generateProof(init.dpop, `${issuer}/token`, 'POST');
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: init.clientId ?? 'machine', client_secret: MACHINE_SECRET, resource: init.resource ?? API, scope: init.scope ?? 'read:orders' }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!body.access_token) throw new Error(`token endpoint: ${body.error}: ${body.error_description}`);
  return body.access_token;
}

async function revoke(token: string): Promise<void> {
  const response = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: 'machine', client_secret: MACHINE_SECRET }),
  });
  expect(response.status).toBe(200);
}

/** Options of a resource server that introspects as `orders-api` (client_secret_basic), endpoint discovered. */
function options(introspection: Partial<IntrospectionOptions> = {}, extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return { issuer, audience: API, algorithms: ['ES256'], introspection: { clientId: 'orders-api', clientSecret: API_SECRET, ...introspection }, ...extra };
}

const refusalOf = (promise: Promise<unknown>) => errorOf(() => promise) as Promise<GuardError>;

describe('opaque tokens from oidc-provider, introspected', () => {
  it('are not JWTs: the verifier cannot tell anything from the token itself', async () => {
    expect((await opaqueToken()).split('.')).toHaveLength(1);
  });

  it('are accepted with the introspection answer as claims, the endpoint found by discovery', async () => {
    const auth: AuthResult = await createVerifier(options()).verify(await opaqueToken({ scope: 'read:orders write:orders' }));
    expect(auth).toMatchObject({ clientId: 'machine', scopes: ['read:orders', 'write:orders'], permissions: [], dialect: 'generic', binding: 'bearer', encrypted: false, header: {} });
    expect(auth.claims).toMatchObject({ active: true, iss: issuer, aud: API, client_id: 'machine', token_type: 'Bearer' });
  });

  for (const [method, introspection] of [
    ['client_secret_post', { clientId: 'orders-api-post', authMethod: 'client_secret_post' }],
    ['private_key_jwt', { clientId: 'orders-api-jwt', clientSecret: undefined, get privateKey() { return apiJwtKey; } }],
  ] as const) {
    it(`are accepted when the API authenticates with ${method}`, async () => {
      const auth = await createVerifier(options(introspection)).verify(await opaqueToken());
      expect(auth.clientId).toBe('machine');
    });
  }

  it('are accepted with signed answers (RFC 9701) verified with the issuer\'s keys', async () => {
    const verifier = createVerifier(options({ clientId: 'orders-api-signed', signedResponses: true }));
    const auth = await verifier.verify(await opaqueToken());
    expect(auth.claims).toMatchObject({ active: true, aud: API, client_id: 'machine' });
  });

  it('are refused with a signed-answer verifier when the keys cannot verify the answer: 503, never accepted', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const verifier = createVerifier(options({ clientId: 'orders-api-signed', signedResponses: true }, { keys: { keys: [{ ...(await exportJWK(publicKey)), kid: 'as-key-1', alg: 'ES256' }] } }));
    const error = await refusalOf(verifier.verify(await opaqueToken()));
    expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    expect(error.reason).toMatch(/signed introspection answer does not verify/);
  });

  it('are refused once revoked, within the cache maxAge (1 s here)', async () => {
    const verifier = createVerifier(options({ cache: { maxAge: 1 } }));
    const token = await opaqueToken();
    await expect(verifier.verify(token)).resolves.toMatchObject({ clientId: 'machine' });
    await revoke(token);
    // Still the cached answer: a revocation shows through within maxAge, not at once.
    await expect(verifier.verify(token)).resolves.toMatchObject({ clientId: 'machine' });
    await sleep(1100);
    const error = (await refusalOf(verifier.verify(token))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token', description: 'The access token is not active.' });
    expect(error.reason).toMatch(/not active \(expired, revoked, or never issued\)/);
  });

  it('are refused when issued for another API, the reason naming both audiences', async () => {
    const error = (await refusalOf(createVerifier(options()).verify(await opaqueToken({ resource: OTHER_API })))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token', description: 'The access token is not meant for this API.' });
    expect(error.reason).toBe(`aud is "${OTHER_API}", expected "${API}"`);
  });

  it('are refused once expired', async () => {
    const verifier = createVerifier(options());
    const token = await opaqueToken({ scope: 'short:lived' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ scopes: ['short:lived'] });
    await sleep(2100);
    const error = (await refusalOf(verifier.verify(token))) as AccessTokenError;
    expect(error.status).toBe(401);
    expect(error.description).toMatch(/^The access token (expired|is not active)\.$/);
  });

  it('refuse a token the server never issued as inactive: 401 invalid_token', async () => {
    const error = (await refusalOf(createVerifier(options()).verify('never-issued-by-anyone-0123456789abcdef'))) as AccessTokenError;
    expect(error).toMatchObject({ status: 401, code: 'invalid_token', description: 'The access token is not active.' });
  });

  it('are our 503 when the server refuses our own client credentials, never the caller\'s 401', async () => {
    const error = await refusalOf(createVerifier(options({ clientSecret: 'not-the-secret-of-orders-api-at-all' })).verify(await opaqueToken()));
    expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable', headers: { 'Retry-After': '5' } });
    expect(error.reason).toMatch(/refused our request .*HTTP 401.*check introspection.clientId/);
  });

  it('cost one introspection request for 100 concurrent requests with one new token', async () => {
    const verifier = createVerifier(options());
    const token = await opaqueToken();
    await verifier.verify('warm-up-discovery-with-an-unknown-token').catch(() => undefined);
    const before = introspections;
    const results = await Promise.all(Array.from({ length: 100 }, () => verifier.authenticate({ method: 'GET', url: 'https://api.orders.example/orders', headers: { authorization: `Bearer ${token}` } })));
    expect(results.every((outcome) => outcome.kind === 'accepted')).toBe(true);
    expect(introspections - before).toBe(1);
  });
});

describe('DPoP-bound opaque tokens from oidc-provider', () => {
  let keypair: KeyPair;
  let token: string;
  const url = 'https://api.orders.example/orders';

  beforeAll(async () => {
    keypair = await generateDpopKeyPair('ES256');
    token = await opaqueToken({ clientId: 'dpop-machine', dpop: keypair });
  });

  it('are accepted with a proof of the bound key', async () => {
    const verifier = createVerifier(options({}, { dpop: {} }));
    const auth = await verifier.verifyRequest({ method: 'GET', url, headers: { authorization: `DPoP ${token}`, dpop: await generateProof(keypair, url, 'GET', undefined, token) } });
    expect(auth).toMatchObject({ binding: 'dpop', clientId: 'dpop-machine' });
    expect(auth.claims).toMatchObject({ token_type: 'DPoP', cnf: { jkt: expect.any(String) } });
  });

  it('are refused as Bearer, and with a proof by another key', async () => {
    const verifier = createVerifier(options({}, { dpop: {} }));
    const downgrade = (await refusalOf(verifier.verifyRequest({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } }))) as AccessTokenError;
    expect(downgrade).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(downgrade.reason).toMatch(/DPoP-bound token \(cnf.jkt\) was presented with the Bearer scheme/);
    const thief = await generateDpopKeyPair('ES256');
    const stolen = await refusalOf(verifier.verifyRequest({ method: 'GET', url, headers: { authorization: `DPoP ${token}`, dpop: await generateProof(thief, url, 'GET', undefined, token) } }));
    expect(stolen).toMatchObject({ status: 401 });
  });
});

describe('every adapter accepts an introspected token and refuses an inactive one', () => {
  let token: string;
  const expectAccepted = (status: number, body: unknown) => {
    expect(status).toBe(200);
    expect(body).toEqual({ clientId: 'machine', scopes: ['read:orders'] });
  };

  beforeAll(async () => {
    token = await opaqueToken();
  });

  async function call(origin: string, bearer: string) {
    const response = await fetch(`${origin}/orders`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: response.status, body: (await response.json()) as unknown, challenge: response.headers.get('www-authenticate') };
  }

  it('Express', async () => {
    const app = express();
    app.get('/orders', expressAuthenticate(options()), (req, res) => void res.json({ clientId: req.auth?.clientId, scopes: req.auth?.scopes }));
    const { origin } = await listen(app).then((server) => (running.push(server), server));
    const ok = await call(origin, token);
    expectAccepted(ok.status, ok.body);
    const refused = await call(origin, 'an-opaque-token-nobody-issued');
    expect(refused.status).toBe(401);
    expect(refused.challenge).toMatch(/^Bearer error="invalid_token", error_description="The access token is not active."$/);
  });

  it('Fastify', async () => {
    const app = Fastify();
    await app.register(guard, options());
    app.get('/orders', async (request) => ({ clientId: request.auth?.clientId, scopes: request.auth?.scopes }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    running.push({ origin: '', close: () => app.close() });
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const ok = await call(origin, token);
    expectAccepted(ok.status, ok.body);
    expect((await call(origin, 'an-opaque-token-nobody-issued')).status).toBe(401);
  });

  it('Koa', async () => {
    const app = new Koa();
    app.use(koaAuthenticate(options())).use((ctx) => {
      ctx.body = { clientId: ctx.state.auth?.clientId, scopes: ctx.state.auth?.scopes };
    });
    const { origin } = await listen(app.callback()).then((server) => (running.push(server), server));
    const ok = await call(origin, token);
    expectAccepted(ok.status, ok.body);
    expect((await call(origin, 'an-opaque-token-nobody-issued')).status).toBe(401);
  });

  it('web (Fetch API, WebCrypto backend)', async () => {
    const handle = webAuthenticate(createWebVerifier(options(), introspectedTokens));
    const request = (bearer: string) => new Request('https://api.orders.example/orders', { headers: { authorization: `Bearer ${bearer}` } });
    const auth = await handle(request(token));
    expect(auth).not.toBeInstanceOf(Response);
    expect(auth).toMatchObject({ clientId: 'machine', scopes: ['read:orders'] });
    const refused = await handle(request('an-opaque-token-nobody-issued'));
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(401);
  });
});
