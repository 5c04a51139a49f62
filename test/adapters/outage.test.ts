/**
 * A JWKS outage as a new user meets it: each adapter with its framework's default error handling,
 * no error handler of the app's own, NODE_ENV unset (Express then renders errors with their stack
 * for development). The client must get a 503 with `Retry-After` and nothing internal: no URL, no
 * host, no stack, no class name, no library message.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate as expressAuthenticate } from '../../adapters/express.js';
import fastifyGuard from '../../adapters/fastify.js';
import { authenticate as koaAuthenticate } from '../../adapters/koa.js';
import { authenticate as webAuthenticate } from '../../adapters/web.js';
import type { VerifierOptions } from '../../src/index.js';
import { LocalIssuer } from '../../examples/local-issuer.js';
import { closedPort } from '../helpers/http.js';

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;
const AUDIENCE = 'https://api.example.com/';

let issuer: LocalIssuer;
let options: VerifierOptions;
let unreachable: string;
const servers: Server[] = [];
const savedNodeEnv = process.env.NODE_ENV;

async function serve(listener: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
}

beforeAll(async () => {
  delete process.env.NODE_ENV;
  issuer = await LocalIssuer.start();
  unreachable = `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`;
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: unreachable };
});

afterAll(async () => {
  process.env.NODE_ENV = savedNodeEnv;
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await issuer.close();
});

const hosts: Record<string, () => Promise<(init: RequestInit) => Promise<Response>>> = {
  'express 5': async () => {
    const app = express();
    app.get('/me', expressAuthenticate(options), (_req, res) => void res.json({ reached: true }));
    const url = await serve(app);
    return (init) => fetch(url, init);
  },
  'express 4': async () => {
    const app = express4();
    app.get('/me', expressAuthenticate(options) as unknown as express4.RequestHandler, (_req, res) => void res.json({ reached: true }));
    const url = await serve(app);
    return (init) => fetch(url, init);
  },
  'fastify 5': async () => {
    const app = Fastify();
    await app.register(fastifyGuard, options);
    app.get('/me', async () => ({ reached: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push(app.server);
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/me`;
    return (init) => fetch(url, init);
  },
  'koa 3': async () => {
    const app = new Koa();
    app.silent = true;
    app.use(koaAuthenticate(options));
    app.use((ctx) => void (ctx.body = { reached: true }));
    const url = await serve(app.callback());
    return (init) => fetch(url, init);
  },
  'koa 2': async () => {
    const app = new Koa2();
    app.silent = true;
    app.use(koaAuthenticate(options));
    app.use((ctx) => void (ctx.body = { reached: true }));
    const url = await serve(app.callback());
    return (init) => fetch(url, init);
  },
  web: async () => {
    const auth = webAuthenticate(options);
    return async (init) => {
      const result = await auth(new Request('https://api.example.com/me', init));
      return result instanceof Response ? result : Response.json({ reached: true });
    };
  },
};

describe('a JWKS outage under default settings and default error handlers', () => {
  it.each(Object.keys(hosts))('%s answers 503 with Retry-After and a body that names nothing internal', async (name) => {
    const send = await (hosts[name] as () => Promise<(init: RequestInit) => Promise<Response>>)();
    const response = await send({ headers: { authorization: `Bearer ${await issuer.mint(AUDIENCE)}` } });
    const body = await response.text();
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(body)).toEqual({ error: 'temporarily_unavailable', error_description: 'The service cannot verify access tokens right now; try again later.' });
    for (const internal of ['127.0.0.1', new URL(unreachable).port, 'jwks', 'JWKS', 'ECONNREFUSED', 'Error', '    at ', 'reached']) {
      expect(body).not.toContain(internal);
    }
  });
});
