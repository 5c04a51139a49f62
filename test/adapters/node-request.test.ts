/**
 * What the Node adapters share (adapters/node-request.ts): every host on Node's `http` refuses a
 * request that repeats the Authorization or DPoP header, instead of judging its first value,
 * which is all Node keeps in `req.headers`; and every one hands the core the URL the client
 * addressed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate as expressAuthenticate } from '../../adapters/express.js';
import fastifyGuard from '../../adapters/fastify.js';
import { authenticate as koaAuthenticate } from '../../adapters/koa.js';
import { createVerifier, type Verifier } from '../../src/index.js';
import { LocalIssuer } from '../../examples/local-issuer.js';
import { rawGet } from '../helpers/http.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let verifier: Verifier;
const servers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, keys: { keys: issuer.published.map((key) => key.publicJwk) } });
});

afterAll(async () => {
  await Promise.all(servers.map((close) => close()));
  await issuer.close();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

const hosts: Array<[string, (using?: Verifier) => Promise<number>]> = [
  ['express', async (using = verifier) => {
    const app = express();
    app.get('/me', expressAuthenticate(using), (req, res) => void res.json({ sub: req.auth?.subject }));
    return listen(createServer(app));
  }],
  ['fastify', async (using = verifier) => {
    const app = Fastify();
    await app.register(fastifyGuard, { verifier: using });
    app.get('/me', async (request) => ({ sub: request.auth?.subject }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push(() => app.close());
    return (app.server.address() as AddressInfo).port;
  }],
  ['koa', async (using = verifier) => {
    const app = new Koa();
    app.use(koaAuthenticate(using));
    app.use((ctx) => void (ctx.body = { sub: ctx.state.auth?.subject }));
    return listen(createServer(app.callback()));
  }],
];


describe.each(hosts)('%s', (_name, start) => {
  it('accepts a request with one Authorization header', async () => {
    const port = await start();
    const { status, body } = await rawGet(port, '/me', { authorization: `Bearer ${await issuer.mint(AUDIENCE)}` });
    expect(status).toBe(200);
    expect(body.sub).toBe('auth0|demo-user');
  });

  it('answers two Authorization headers with 400 invalid_request, even when the first is valid', async () => {
    const port = await start();
    const { status, body } = await rawGet(port, '/me', { authorization: [`Bearer ${await issuer.mint(AUDIENCE)}`, 'Bearer forged.token.value'] });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('hands the core the URL the client addressed, read only when needed (here: a query token)', async () => {
    const queryVerifier = createVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      keys: { keys: issuer.published.map((key) => key.publicJwk) },
      tokenLocations: ['query'],
    });
    const urls: string[] = [];
    const recording: Verifier = { ...queryVerifier, authenticate: (request, modes) => (urls.push(request.url), queryVerifier.authenticate(request, modes)) };
    const port = await start(recording);
    const { status, body } = await rawGet(port, `/me?access_token=${await issuer.mint(AUDIENCE)}`, {});
    expect(status).toBe(200);
    expect(body.sub).toBe('auth0|demo-user');
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/me\\?access_token=`));
  });
});
