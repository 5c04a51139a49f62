/**
 * One API trusting two real issuers — an `oidc-provider` authorization server (RFC 9068 tokens,
 * keys by discovery) and the local issuer of the examples (Auth0-shaped tokens, keys from its
 * jwksUri) — through every adapter: Express, Fastify, Koa, the Fetch API and the Lambda
 * authorizer. Each adapter is given the options (not a shared verifier), so each builds its own
 * multi-issuer verifier. A third issuer, running and reachable, is never asked for anything.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as expressAdapter from '../../adapters/express.js';
import fastifyGuard, * as fastifyAdapter from '../../adapters/fastify.js';
import * as koaAdapter from '../../adapters/koa.js';
import * as lambdaAdapter from '../../adapters/lambda.js';
import * as webAdapter from '../../adapters/web.js';
import type { AuthResult, VerifierOptions } from '../../src/index.js';
import { LocalIssuer } from '../../src/testing.js';
import { listen } from '../helpers/http.js';
import { startOidcProvider, type RunningProvider } from '../helpers/oidc-provider.js';

const ORDERS = 'https://orders.example.com/';
const PATH = '/orders';

type Host = (authorization: string) => Promise<{ status: number; body: Record<string, unknown> }>;

let provider: RunningProvider;
let local: LocalIssuer;
let third: LocalIssuer;
let thirdRequests = 0;
const hosts: Record<string, Host> = {};
let options: VerifierOptions;
const closers: Array<() => Promise<void>> = [];

const answer = (auth: AuthResult | undefined) => ({ issuer: auth?.issuer, client: auth?.clientId, scopes: auth?.scopes });

async function httpHost(listener: Parameters<typeof listen>[0]): Promise<Host> {
  const running = await listen(listener);
  closers.push(running.close);
  return async (authorization) => {
    const response = await fetch(`${running.origin}${PATH}`, { headers: { authorization } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

beforeAll(async () => {
  [provider, local, third] = await Promise.all([startOidcProvider({ scopes: 'orders:read' }), LocalIssuer.start(), LocalIssuer.start()]);
  options = {
    issuers: [
      { issuer: provider.issuer, audience: ORDERS, dialect: 'rfc9068' },
      { issuer: local.issuer, audience: ORDERS, jwksUri: local.jwksUri, dialect: 'auth0' },
    ],
  };

  {
    const app = express();
    app.get(PATH, expressAdapter.authenticate(options), expressAdapter.requireScopes('orders:read'), (req, res) => res.json(answer(req.auth)));
    hosts['express'] = await httpHost(app);
  }
  {
    const app = Fastify();
    await app.register(fastifyGuard, options);
    app.get(PATH, { preHandler: fastifyAdapter.requireScopes('orders:read') }, async (request) => answer(request.auth));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${PATH}`;
    hosts['fastify'] = async (authorization) => {
      const response = await fetch(url, { headers: { authorization } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
  }
  {
    const app = new Koa<koaAdapter.AuthState>();
    app.use(koaAdapter.authenticate(options)).use(koaAdapter.requireScopes('orders:read')).use((ctx) => {
      ctx.body = answer(ctx.state.auth);
    });
    hosts['koa'] = await httpHost(app.callback());
  }
  {
    // On /web, several issuers is an optional step handed to its createVerifier.
    const auth = webAdapter.authenticate(webAdapter.createVerifier(options, webAdapter.severalIssuers));
    const guard = webAdapter.requireScopes('orders:read');
    hosts['web'] = async (authorization) => {
      const result = await auth(new Request(`https://orders.example.com${PATH}`, { headers: { authorization } }));
      const response = result instanceof Response ? result : (guard(result) ?? Response.json(answer(result)));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
  }
  thirdRequests = third.requests;
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await Promise.all([provider.close(), local.close(), third.close()]);
});

const HOSTS = ['express', 'fastify', 'koa', 'web'];

describe('an API trusting two issuers, through every adapter', () => {
  it.each(HOSTS)('%s accepts a token from oidc-provider, telling the route its issuer', async (name) => {
    const token = await provider.token(ORDERS, 'orders:read');
    const { status, body } = await (hosts[name] as Host)(`Bearer ${token}`);
    expect({ status, body }).toEqual({ status: 200, body: { issuer: provider.issuer, client: provider.clientId, scopes: ['orders:read'] } });
  });

  it.each(HOSTS)('%s accepts a token from the local issuer, telling the route its issuer', async (name) => {
    const token = await local.mint(ORDERS, { scope: 'orders:read' });
    const { status, body } = await (hosts[name] as Host)(`Bearer ${token}`);
    expect({ status, body }).toEqual({ status: 200, body: { issuer: local.issuer, client: 'demo-client-id', scopes: ['orders:read'] } });
  });

  it.each(HOSTS)('%s refuses a token from a third, running issuer without asking it for anything', async (name) => {
    const token = await third.mint(ORDERS, { scope: 'orders:read' });
    const { status, body } = await (hosts[name] as Host)(`Bearer ${token}`);
    expect({ status, error: body.error }).toEqual({ status: 401, error: 'invalid_token' });
    expect(third.requests).toBe(thirdRequests);
  });

  it.each(HOSTS)('%s refuses a token naming the local issuer but signed by the third', async (name) => {
    const token = await third.mint(ORDERS, { scope: 'orders:read', iss: local.issuer });
    const { status, body } = await (hosts[name] as Host)(`Bearer ${token}`);
    expect({ status, error: body.error }).toEqual({ status: 401, error: 'invalid_token' });
  });
});

describe('an API trusting two issuers, as an API Gateway Lambda authorizer', () => {
  const event = (token: string): lambdaAdapter.TokenAuthorizerEvent => ({
    type: 'TOKEN',
    authorizationToken: `Bearer ${token}`,
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/orders',
  });
  const effect = (result: unknown) => (result as lambdaAdapter.PolicyResponse).policyDocument.Statement[0]?.Effect;

  it('allows a token from either issuer and refuses one from the third', async () => {
    const authorizer = lambdaAdapter.createAuthorizer(options, { scopes: 'orders:read' });
    expect(effect(await authorizer(event(await provider.token(ORDERS, 'orders:read'))))).toBe('Allow');
    expect(effect(await authorizer(event(await local.mint(ORDERS, { scope: 'orders:read' }))))).toBe('Allow');
    await expect(authorizer(event(await third.mint(ORDERS, { scope: 'orders:read' })))).rejects.toThrow('Unauthorized');
    expect(third.requests).toBe(thirdRequests);
  });
});
