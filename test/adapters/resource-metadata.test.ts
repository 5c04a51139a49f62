/**
 * Protected Resource Metadata (RFC 9728) and step-up (RFC 9470) through every adapter: Express 5
 * and 4, Fastify 5, Koa 3 and 2 (real HTTP on 127.0.0.1), the Fetch-API adapter and an adapter
 * written from the public exports alone. With `resourceMetadata` set, each one serves the document
 * from its `authenticate` (none needed a change for it: the `answered` outcome carries its
 * response), links to it from every challenge, and its `requireAuthLevel` refuses a weak or old
 * authentication the same way.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express, { type RequestHandler } from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as expressAdapter from '../../adapters/express.js';
import fastifyGuard, * as fastifyAdapter from '../../adapters/fastify.js';
import * as koaAdapter from '../../adapters/koa.js';
import * as webAdapter from '../../adapters/web.js';
import * as imaginaryAdapter from './support/imaginary-host.js';
import type { VerifierOptions } from '../../src/index.js';
import { LocalIssuer } from '../../src/testing.js';

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;

const RESOURCE = 'https://api.example.com/v1';
const DOCUMENT_URL = 'https://api.example.com/.well-known/oauth-protected-resource/v1';
const SCOPE = 'read:messages';
const STEP_UP = { acrValues: ['urn:example:mfa'], maxAge: 300 };

interface Answer {
  status: number;
  wwwAuthenticate: string | null;
  cacheControl: string | null;
  contentType: string | null;
  body: string;
}
type Host = (method: string, path: string, headers: Record<string, string>) => Promise<Answer>;

let issuer: LocalIssuer;
let options: VerifierOptions;
const servers: Server[] = [];
const hosts: Record<string, Host> = {};

async function read(response: Response): Promise<Answer> {
  const contentType = response.headers.get('content-type');
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    cacheControl: response.headers.get('cache-control'),
    // Frameworks add a charset to JSON; the media type is what must agree.
    contentType: contentType && contentType.split(';')[0]!,
    body: await response.text(),
  };
}

async function listening(server: Server): Promise<Host> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (method, path, headers) => read(await fetch(`${origin}${path}`, { method, headers }));
}

const httpHost = (listener: RequestListener) => listening(createServer(listener));
const routeBody = (subject: string | undefined) => ({ sub: subject });

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: RESOURCE, jwksUri: issuer.jwksUri, realm: 'api', resourceMetadata: { scopesSupported: [SCOPE] } };

  for (const [name, make] of [
    ['express 5', () => express()],
    // The adapter is typed against Express 5's types; the middleware contract is the same in 4.
    ['express 4', () => express4() as unknown as express.Express],
  ] as const) {
    const { authenticate, requireScopes, requireAuthLevel } = expressAdapter;
    const app = make();
    app.use(authenticate(options) as RequestHandler);
    app.get('/v1/messages', requireScopes(SCOPE), (req, res) => void res.json(routeBody(req.auth?.subject)));
    app.get('/v1/transfer', requireAuthLevel(STEP_UP), (req, res) => void res.json(routeBody(req.auth?.subject)));
    hosts[name] = await httpHost(app);
  }
  {
    const app = Fastify();
    await app.register(fastifyGuard, options);
    app.get('/v1/messages', { preHandler: fastifyAdapter.requireScopes(SCOPE) }, async (request) => routeBody(request.auth?.subject));
    app.get('/v1/transfer', { preHandler: fastifyAdapter.requireAuthLevel(STEP_UP) }, async (request) => routeBody(request.auth?.subject));
    await app.listen({ port: 0, host: '127.0.0.1' });
    hosts['fastify 5'] = await listening(app.server);
  }
  for (const [name, KoaClass] of [
    ['koa 3', Koa],
    ['koa 2', Koa2],
  ] as const) {
    const { authenticate, requireScopes, requireAuthLevel } = koaAdapter;
    const app = new KoaClass<koaAdapter.AuthState>();
    const scoped = requireScopes(SCOPE);
    const stepUp = requireAuthLevel(STEP_UP);
    app.use(authenticate(options));
    app.use((ctx, next) => (ctx.path === '/v1/messages' ? scoped(ctx, next) : ctx.path === '/v1/transfer' ? stepUp(ctx, next) : next()));
    app.use((ctx) => {
      ctx.body = routeBody(ctx.state.auth?.subject);
    });
    hosts[name] = await httpHost(app.callback());
  }
  {
    const { authenticate, createVerifier, protectedResourceMetadata, requireScopes, requireAuthLevel } = webAdapter;
    // On /web, the document is an optional step handed to its createVerifier.
    const auth = authenticate(createVerifier(options, protectedResourceMetadata));
    const guards: Record<string, (result: webAdapter.AuthResult | undefined) => Response | undefined> = {
      '/v1/messages': requireScopes(SCOPE),
      '/v1/transfer': requireAuthLevel(STEP_UP),
    };
    const handle = async (request: Request): Promise<Response> => {
      const result = await auth(request);
      if (result instanceof Response) return result;
      const refusal = guards[new URL(request.url).pathname]?.(result);
      return refusal ?? Response.json(routeBody(result.subject));
    };
    hosts['web'] = async (method, path, headers) => read(await handle(new Request(`https://api.example.com${path}`, { method, headers })));
  }
  {
    const { authenticate, requireScopes, requireAuthLevel } = imaginaryAdapter;
    const routes: Record<string, imaginaryAdapter.HostStep> = { '/v1/messages': requireScopes(SCOPE), '/v1/transfer': requireAuthLevel(STEP_UP) };
    const steps = [authenticate(options)];
    hosts['imaginary host'] = async (method, path, headers) => {
      const message: imaginaryAdapter.HostMessage = { verb: method, path, fields: new Map(Object.entries(headers)) };
      for (const step of [...steps, routes[path]]) {
        const reply = await step?.(message);
        if (reply) return read(new Response(method === 'HEAD' ? null : reply.payload, { status: reply.code, headers: reply.fields }));
      }
      return read(Response.json(routeBody(message.auth?.subject)));
    };
  }
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await issuer.close();
});

/** Every host's answer, checked to be the same everywhere; the reference (Express 5) is returned. */
async function everywhere(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const answers = Object.fromEntries(await Promise.all(Object.entries(hosts).map(async ([name, host]) => [name, await host(method, path, headers)] as const)));
  expect(Object.keys(answers)).toEqual(['express 5', 'express 4', 'fastify 5', 'koa 3', 'koa 2', 'web', 'imaginary host']);
  const reference = answers['express 5'] as Answer;
  for (const [name, answer] of Object.entries(answers)) expect({ host: name, ...answer }).toEqual({ host: name, ...reference });
  return reference;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const now = () => Math.floor(Date.now() / 1000);
const LINK = `resource_metadata="${DOCUMENT_URL}"`;

describe('the Protected Resource Metadata document', () => {
  const document = () => ({
    resource: RESOURCE,
    authorization_servers: [issuer.issuer],
    scopes_supported: [SCOPE],
    bearer_methods_supported: ['header'],
    resource_signing_alg_values_supported: ['RS256'],
  });

  it('is served on GET of the path-inserted well-known URL, without a token, with caching headers', async () => {
    const answer = await everywhere('GET', '/.well-known/oauth-protected-resource/v1');
    expect(answer).toMatchObject({ status: 200, contentType: 'application/json', cacheControl: 'public, max-age=3600', wwwAuthenticate: null });
    expect(JSON.parse(answer.body)).toEqual(document());
  });

  it('is served on the plain well-known URL too, which clients try when they know only the origin', async () => {
    const answer = await everywhere('GET', '/.well-known/oauth-protected-resource');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual(document());
  });

  it('answers HEAD with the headers and no body', async () => {
    expect(await everywhere('HEAD', '/.well-known/oauth-protected-resource/v1')).toMatchObject({ status: 200, cacheControl: 'public, max-age=3600', body: '' });
  });

  it('is served whatever credentials come with the request, even a bad token', async () => {
    const answer = await everywhere('GET', '/.well-known/oauth-protected-resource/v1', bearer('not-a-token'));
    expect(answer.status).toBe(200);
  });

  it('is not what a POST to the same path gets: that is an ordinary request, refused without a token', async () => {
    const answer = await everywhere('POST', '/.well-known/oauth-protected-resource/v1');
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toBe(`Bearer realm="api", ${LINK}`);
  });
});

describe('challenges link to the document', () => {
  it('401 without a token: a bare challenge with resource_metadata', async () => {
    const answer = await everywhere('GET', '/v1/messages');
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toBe(`Bearer realm="api", ${LINK}`);
  });

  it('401 for a bad token: the error, then resource_metadata', async () => {
    const answer = await everywhere('GET', '/v1/messages', bearer(await issuer.mint('https://api.example.com/v1/', { scope: SCOPE })));
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toMatch(new RegExp(`^Bearer realm="api", error="invalid_token", error_description="[^"]+", ${escape(LINK)}$`));
  });

  it('403 for a missing scope: the scope needed, then resource_metadata', async () => {
    const answer = await everywhere('GET', '/v1/messages', bearer(await issuer.mint(RESOURCE, { scope: 'openid' })));
    expect(answer.status).toBe(403);
    expect(answer.wwwAuthenticate).toMatch(new RegExp(`^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="${SCOPE}", ${escape(LINK)}$`));
  });

  it('a valid token with the scope passes', async () => {
    const answer = await everywhere('GET', '/v1/messages', bearer(await issuer.mint(RESOURCE, { scope: SCOPE })));
    expect(answer.status).toBe(200);
  });
});

describe('requireAuthLevel (step-up, RFC 9470)', () => {
  const stepUpChallenge = new RegExp(
    `^Bearer realm="api", error="insufficient_user_authentication", error_description="[^"]+", acr_values="urn:example:mfa", max_age="300", ${escape(LINK)}$`,
  );

  it('passes a token with an accepted acr and a recent auth_time', async () => {
    const answer = await everywhere('GET', '/v1/transfer', bearer(await issuer.mint(RESOURCE, { acr: 'urn:example:mfa', auth_time: now() - 60 })));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ sub: 'auth0|demo-user' });
  });

  it('401 insufficient_user_authentication for an acr the route does not accept', async () => {
    const answer = await everywhere('GET', '/v1/transfer', bearer(await issuer.mint(RESOURCE, { acr: 'urn:example:password', auth_time: now() - 60 })));
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toMatch(stepUpChallenge);
    expect(JSON.parse(answer.body)).toEqual({ error: 'insufficient_user_authentication', error_description: 'A stronger authentication is required.' });
  });

  it('401 insufficient_user_authentication for an authentication older than maxAge', async () => {
    const answer = await everywhere('GET', '/v1/transfer', bearer(await issuer.mint(RESOURCE, { acr: 'urn:example:mfa', auth_time: now() - 301 })));
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toMatch(stepUpChallenge);
    expect(JSON.parse(answer.body)).toEqual({ error: 'insufficient_user_authentication', error_description: 'A more recent authentication is required.' });
  });

  it('401 insufficient_user_authentication for a token without auth_time when maxAge is set', async () => {
    const answer = await everywhere('GET', '/v1/transfer', bearer(await issuer.mint(RESOURCE, { acr: 'urn:example:mfa' })));
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toMatch(stepUpChallenge);
  });

  it('401 with a bare challenge for a request without a token', async () => {
    const answer = await everywhere('GET', '/v1/transfer');
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toBe(`Bearer realm="api", ${LINK}`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
