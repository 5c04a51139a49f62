/**
 * Hooks and `ready()` through every adapter (Express, Fastify, Koa, Fetch API), against a real
 * local issuer found by discovery: `ready()` fetches the metadata and the key set (reported to
 * `keysFetched`); an accepted request is reported to `verified`, a refusal by the verifier or by a
 * guard to `refused` with its reason code; a slash-less issuer makes `ready()` (and the Fastify
 * plugin's registration) fail, and requests answer 500 without Retry-After.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as expressAdapter from '../../adapters/express.js';
import fastifyGuard, * as fastifyAdapter from '../../adapters/fastify.js';
import * as koaAdapter from '../../adapters/koa.js';
import * as webAdapter from '../../adapters/web.js';
import { ConfigurationError, createVerifier, type Verifier, type VerifierHooks } from '../../src/index.js';
import { LocalIssuer } from '../../src/testing.js';
import { closeServer } from '../helpers/http.js';

const AUDIENCE = 'https://api.example.com';
const PATH = '/messages';

type Fetcher = (headers: Record<string, string>) => Promise<Response>;
type HostFactory = (verifier: Verifier) => Promise<Fetcher>;

let issuer: LocalIssuer;
const servers: Server[] = [];

async function serve(listener: RequestListener): Promise<Fetcher> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
  return (headers) => fetch(url, { headers });
}

const HOSTS: Record<string, HostFactory> = {
  express: async (verifier) => {
    const app = express();
    app.get(PATH, expressAdapter.authenticate(verifier), expressAdapter.requirePermissions('read:messages'), (req, res) => void res.json({ sub: req.auth?.subject }));
    return serve(app);
  },
  fastify: async (verifier) => {
    const app = Fastify();
    await app.register(fastifyGuard, { verifier });
    app.get(PATH, { preHandler: fastifyAdapter.requirePermissions('read:messages') }, async (request) => ({ sub: request.auth?.subject }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push(app.server);
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${PATH}`;
    return (headers) => fetch(url, { headers });
  },
  koa: async (verifier) => {
    const app = new Koa<koaAdapter.AuthState>();
    app.use(koaAdapter.authenticate(verifier));
    app.use(koaAdapter.requirePermissions('read:messages'));
    app.use((ctx) => void (ctx.body = { sub: ctx.state.auth?.subject }));
    return serve(app.callback());
  },
  web: async (verifier) => {
    const auth = webAdapter.authenticate(verifier);
    const guard = webAdapter.requirePermissions('read:messages');
    return async (headers) => {
      const result = await auth(new Request(`https://api.example.com${PATH}`, { headers }));
      if (result instanceof Response) return result;
      return guard(result) ?? Response.json({ sub: result.subject });
    };
  },
};

/** Every event, by hook name, in order. */
function recorder() {
  const events: Array<[string, Record<string, unknown> | undefined]> = [];
  const hooks: VerifierHooks = {
    verified: (event) => void events.push(['verified', { ...event }]),
    refused: (event) => void events.push(['refused', { code: event.code, reasonCode: event.reasonCode, status: event.status }]),
    unavailable: (event) => void events.push(['unavailable', { reasonCode: event.reasonCode, status: event.status }]),
    keysFetched: (event) => void events.push(['keysFetched', { ...event }]),
    keysFetchFailed: (event) => void events.push(['keysFetchFailed', { ...event }]),
  };
  return { events, hooks, named: (name: string) => events.filter(([hook]) => hook === name).map(([, event]) => event) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  issuer = await LocalIssuer.start({ audience: AUDIENCE });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => closeServer(server)));
  await issuer.close();
});

describe.each(Object.keys(HOSTS))('%s', (host) => {
  let record: ReturnType<typeof recorder>;
  let request: Fetcher;

  beforeEach(async () => {
    record = recorder();
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, hooks: record.hooks });
    await verifier.ready();
    request = await HOSTS[host]!(verifier);
  });

  it('ready() discovered the metadata and fetched the key set, reported to keysFetched', () => {
    expect(record.named('keysFetched')).toEqual([
      { document: 'metadata', url: `${issuer.issuer}.well-known/openid-configuration`, status: 200, durationMs: expect.any(Number), keyCount: undefined },
      { document: 'jwks', url: issuer.jwksUri, status: 200, durationMs: expect.any(Number), keyCount: 1 },
    ]);
  });

  it('reports an accepted request to verified, with subject, client, dialect, binding and duration', async () => {
    const response = await request(bearer(await issuer.mint({ permissions: ['read:messages'] })));
    expect(response.status).toBe(200);
    expect(record.named('verified')).toEqual([
      { subject: 'auth0|demo-user', clientId: 'demo-client-id', issuer: issuer.issuer, dialect: 'generic', binding: 'bearer', durationMs: expect.any(Number) },
    ]);
    expect(record.named('refused')).toEqual([]);
  });

  it("reports the verifier's refusal and the guard's to refused, with their reason codes", async () => {
    expect((await request(bearer(await issuer.mint({}, { expiresIn: -60 })))).status).toBe(401);
    expect((await request(bearer(await issuer.mint({ permissions: undefined })))).status).toBe(403);
    expect(record.named('refused')).toEqual([
      { code: 'invalid_token', reasonCode: 'expired', status: 401 },
      { code: 'insufficient_scope', reasonCode: 'no_permissions_claim', status: 403 },
    ]);
  });

  it('a hook that throws changes no decision', async () => {
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      hooks: {
        verified: () => {
          throw new Error('broken logger');
        },
      },
    });
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      const guarded = await HOSTS[host]!(verifier);
      const token = await issuer.mint({ permissions: ['read:messages'] });
      expect((await guarded(bearer(token))).status).toBe(200);
      expect((await guarded(bearer(token))).status).toBe(200);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
  });

  it('a slash-less issuer: ready() rejects with the configuration error, requests answer 500 without Retry-After', async () => {
    const record = recorder();
    const verifier = createVerifier({ issuer: issuer.issuer.replace(/\/$/, ''), audience: AUDIENCE, hooks: record.hooks });
    const error = await verifier.ready().then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).reason).toContain(`set it to ${issuer.issuer}`);
    if (host === 'fastify') {
      const app = Fastify();
      await expect(app.register(fastifyGuard, { verifier }).ready()).rejects.toBeInstanceOf(ConfigurationError);
      await app.close();
    }
    const send = await (host === 'fastify' ? fastifyWithoutReady(verifier) : HOSTS[host]!(verifier));
    const answered = await send(bearer(await issuer.mint()));
    expect(answered.status).toBe(500);
    expect(answered.headers.get('retry-after')).toBeNull();
    expect(await answered.json()).toEqual({ error: 'server_error', error_description: 'The service cannot verify access tokens.' });
    expect(record.named('unavailable')).toContainEqual({ reasonCode: 'issuer_misconfigured', status: 500 });
  });
});

/** The Fastify host registered with `ready: false`, which then answers the configuration error per request. */
async function fastifyWithoutReady(verifier: Verifier): Promise<Fetcher> {
  const app = Fastify();
  await app.register(fastifyGuard, { verifier, ready: false });
  app.get(PATH, async () => ({ reached: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push(app.server);
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${PATH}`;
  return (headers) => fetch(url, { headers });
}
