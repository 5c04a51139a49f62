/**
 * One table of cases through every adapter: Express 5 and 4, Fastify 5, Koa 3 and 2, Hono (on
 * @hono/node-server), NestJS on its Express and Fastify platforms (real HTTP on 127.0.0.1) and the
 * Fetch-API adapter (a `Request` in, a `Response` out) must answer with the
 * same status, the same `WWW-Authenticate` and the same body. The Lambda authorizer cannot write
 * a response (API Gateway does), so it is held to the outcome each status maps to instead. An
 * adapter written from the public exports alone, for a host we do not ship, passes the same table.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express, { type RequestHandler } from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import Koa from 'koa';
import { Controller, Get } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as expressAdapter from '../../adapters/express.js';
import fastifyGuard, * as fastifyAdapter from '../../adapters/fastify.js';
import * as koaAdapter from '../../adapters/koa.js';
import * as honoAdapter from '../../adapters/hono.js';
import * as lambdaAdapter from '../../adapters/lambda.js';
import * as nestAdapter from '../../adapters/nestjs.js';
import * as webAdapter from '../../adapters/web.js';
import * as imaginaryAdapter from './support/imaginary-host.js';
import { NEST_PLATFORMS, startNest } from '../helpers/nest.js';
import type { VerifierOptions } from '../../src/index.js';
import { LocalIssuer } from '../../src/testing.js';

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;

const AUDIENCE = 'https://api.example.com/';
const PATH = '/messages';
const SCOPE = 'read:messages';
const PERMISSION = 'read:messages';

interface Answer {
  status: number;
  wwwAuthenticate: string | null;
  body: unknown;
}
type Host = (headers: Record<string, string>) => Promise<Answer>;

let issuer: LocalIssuer;
let options: VerifierOptions;
const servers: Server[] = [];
const closers: Array<() => Promise<void>> = [];

@Controller()
@nestAdapter.RequireScopes(SCOPE)
@nestAdapter.RequirePermissions(PERMISSION)
class NestMessages {
  @Get(PATH)
  list(@nestAdapter.Auth() auth: nestAdapter.AuthResult) {
    return { sub: auth.subject };
  }
}
const hosts: Record<string, Host> = {};

async function read(response: Response): Promise<Answer> {
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: await response.json() };
}

async function httpHost(listenerOrServer: RequestListener | Server): Promise<Host> {
  const server = typeof listenerOrServer === 'function' ? createServer(listenerOrServer) : listenerOrServer;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
  return async (headers) => read(await fetch(url, { headers }));
}

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, realm: 'api' };
  const handlerBody = (subject: string | undefined) => ({ sub: subject });

  {
    const { authenticate, requireScopes, requirePermissions } = expressAdapter;
    const app = express();
    app.get(PATH, authenticate(options), requireScopes(SCOPE), requirePermissions(PERMISSION), (req, res) => {
      res.json(handlerBody(req.auth?.subject));
    });
    hosts['express 5'] = await httpHost(app);
  }
  {
    const { authenticate, requireScopes, requirePermissions } = expressAdapter;
    // The adapter is typed against Express 5's types; the middleware contract is the same in 4.
    const as4 = (handler: RequestHandler) => handler as unknown as express4.RequestHandler;
    const app = express4();
    app.get(PATH, as4(authenticate(options)), as4(requireScopes(SCOPE)), as4(requirePermissions(PERMISSION)), (req, res) => {
      res.json(handlerBody((req as unknown as express.Request).auth?.subject));
    });
    hosts['express 4'] = await httpHost(app);
  }
  {
    const app = Fastify();
    await app.register(fastifyGuard, options);
    app.get(PATH, { preHandler: [fastifyAdapter.requireScopes(SCOPE), fastifyAdapter.requirePermissions(PERMISSION)] }, async (request) =>
      handlerBody(request.auth?.subject),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push(app.server);
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${PATH}`;
    hosts['fastify 5'] = async (headers) => read(await fetch(url, { headers }));
  }
  for (const [name, KoaClass] of [
    ['koa 3', Koa],
    ['koa 2', Koa2],
  ] as const) {
    const { authenticate, requireScopes, requirePermissions } = koaAdapter;
    const app = new KoaClass<koaAdapter.AuthState>();
    app.use(authenticate(options));
    app.use(requireScopes(SCOPE));
    app.use(requirePermissions(PERMISSION));
    app.use((ctx) => {
      ctx.body = handlerBody(ctx.state.auth?.subject);
    });
    hosts[name] = await httpHost(app.callback());
  }
  {
    const { authenticate, requireScopes, requirePermissions } = honoAdapter;
    const app = new Hono().get(PATH, authenticate(options), requireScopes(SCOPE), requirePermissions(PERMISSION), (c) => c.json(handlerBody(c.var.auth.subject)));
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    hosts['hono (node)'] = await httpHost(server);
  }
  for (const platform of NEST_PLATFORMS) {
    const { app, origin } = await startNest(platform, {
      imports: [nestAdapter.AccessTokenGuardModule.forRoot(options)],
      controllers: [NestMessages],
      providers: [{ provide: APP_GUARD, useClass: nestAdapter.AccessTokenGuard }],
    });
    closers.push(() => app.close());
    hosts[`nestjs (${platform})`] = async (headers) => read(await fetch(`${origin}${PATH}`, { headers }));
  }
  {
    const { authenticate, requireScopes, requirePermissions } = webAdapter;
    const auth = authenticate(options);
    const guards = [requireScopes(SCOPE), requirePermissions(PERMISSION)];
    // What a Workers / Deno / Bun fetch handler written with the adapter looks like.
    const handle = async (request: Request): Promise<Response> => {
      const result = await auth(request);
      if (result instanceof Response) return result;
      for (const guard of guards) {
        const refusal = guard(result);
        if (refusal) return refusal;
      }
      return Response.json(handlerBody(result.subject));
    };
    hosts['web'] = async (headers) => read(await handle(new Request(`https://api.example.com${PATH}`, { headers })));
  }
  {
    const { authenticate, requireScopes, requirePermissions } = imaginaryAdapter;
    const steps = [authenticate(options), requireScopes(SCOPE), requirePermissions(PERMISSION)];
    hosts['imaginary host'] = async (headers) => {
      const message: imaginaryAdapter.HostMessage = { verb: 'GET', path: PATH, fields: new Map(Object.entries(headers)) };
      for (const step of steps) {
        const reply = await step(message);
        if (reply) return read(new Response(reply.payload, { status: reply.code, headers: reply.fields }));
      }
      return read(Response.json(handlerBody(message.auth?.subject)));
    };
  }
});

afterAll(async () => {
  await Promise.all([...servers.map((server) => new Promise((resolve) => server.close(resolve))), ...closers.map((close) => close())]);
  await issuer.close();
});

interface Case {
  name: string;
  headers: () => Promise<Record<string, string>>;
  status: number;
  error?: string;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const granted = { scope: SCOPE, permissions: [PERMISSION] };

const cases: Case[] = [
  { name: 'valid', headers: async () => bearer(await issuer.mint(AUDIENCE, granted)), status: 200 },
  { name: 'bad audience (no trailing slash)', headers: async () => bearer(await issuer.mint('https://api.example.com', granted)), status: 401, error: 'invalid_token' },
  { name: 'expired', headers: async () => bearer(await issuer.mint(AUDIENCE, granted, { expiresIn: -120 })), status: 401, error: 'invalid_token' },
  { name: 'missing scope', headers: async () => bearer(await issuer.mint(AUDIENCE, { ...granted, scope: 'write:messages' })), status: 403, error: 'insufficient_scope' },
  { name: 'missing permission', headers: async () => bearer(await issuer.mint(AUDIENCE, { ...granted, permissions: ['write:messages'] })), status: 403, error: 'insufficient_scope' },
  { name: 'no credentials', headers: async () => ({}), status: 401, error: 'missing_credentials' },
  { name: 'another scheme only (Basic)', headers: async () => ({ authorization: 'Basic dXNlcjpwYXNz' }), status: 401, error: 'missing_credentials' },
  { name: 'malformed header', headers: async () => ({ authorization: 'Bearer two tokens' }), status: 400, error: 'invalid_request' },
  { name: 'bad signature', headers: async () => bearer(`${await issuer.mint(AUDIENCE, granted)}A`), status: 401, error: 'invalid_token' },
];

describe('parity: every adapter answers every case the same way', () => {
  it.each(cases)('$name', async ({ headers, status, error }) => {
    const request = await headers();
    const answers = Object.fromEntries(await Promise.all(Object.entries(hosts).map(async ([name, host]) => [name, await host(request)] as const)));
    expect(Object.keys(answers)).toEqual(['express 5', 'express 4', 'fastify 5', 'koa 3', 'koa 2', 'hono (node)', 'nestjs (express)', 'nestjs (fastify)', 'web', 'imaginary host']);

    const reference = answers['express 5'] as Answer;
    expect(reference.status).toBe(status);
    if (status === 200) {
      expect(reference.body).toEqual({ sub: 'auth0|demo-user' });
      expect(reference.wwwAuthenticate).toBeNull();
    } else {
      expect(reference.body).toEqual({ error, error_description: expect.any(String) });
      expect(reference.wwwAuthenticate).toMatch(/^Bearer realm="api"/);
      if (status === 403) expect(reference.wwwAuthenticate).toContain(`scope="${SCOPE}"`);
    }
    for (const [name, answer] of Object.entries(answers)) expect({ host: name, ...answer }).toEqual({ host: name, ...reference });
  });
});

describe('parity: the Lambda authorizer maps each case to the API Gateway outcome of its status', () => {
  it.each(cases)('$name', async ({ headers, status }) => {
    const authorizer = lambdaAdapter.createAuthorizer(options, { scopes: SCOPE, permissions: PERMISSION });
    const event: lambdaAdapter.TokenAuthorizerEvent = {
      type: 'TOKEN',
      authorizationToken: (await headers()).authorization ?? '',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/messages',
    };
    const outcome = await authorizer(event).then(
      (result) => (result as lambdaAdapter.PolicyResponse).policyDocument.Statement[0]?.Effect,
      (error: Error) => error.message,
    );
    expect(outcome).toBe(status === 200 ? 'Allow' : status === 403 ? 'Deny' : 'Unauthorized');
  });
});
