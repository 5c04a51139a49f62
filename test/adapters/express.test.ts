/**
 * The Express adapter, on Express 5 and Express 4, through real HTTP on 127.0.0.1: `authenticate`
 * puts the verified token on `req.auth` (or lets anonymous requests through in optional mode),
 * `requireScopes` / `requirePermissions` guard routes, refusals are answered with their status,
 * `WWW-Authenticate` and `{ error, error_description }`; our own 503 too, unless `forwardUnavailable`
 * hands it to `next(err)`.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, GuardError, requirePermissions, requireScopes, type AuthenticateOptions } from '../../adapters/express.js';
import { createVerifier, type RequestLike, type Verifier, type VerifierOptions } from '../../src/index.js';
import { LocalIssuer } from '../../src/testing.js';
import { closeServer, closedPort, rawGet } from '../helpers/http.js';
import { keyFor } from '../helpers/keys.js';
import { AUDIENCE, ISSUER, mint } from '../helpers/tokens.js';

/** The part of an Express application these tests use, common to versions 4 and 5. */
interface App {
  use(...handlers: unknown[]): unknown;
  get(path: string, ...handlers: unknown[]): unknown;
  post(path: string, ...handlers: unknown[]): unknown;
  set(setting: string, value: unknown): unknown;
  listen(port: number, host: string): Server;
}

const FRAMEWORKS: Array<[string, () => App, { json: () => unknown; urlencoded: (options: { extended: boolean }) => unknown }]> = [
  ['Express 5', () => express5() as unknown as App, express5],
  ['Express 4', () => express4() as unknown as App, express4 as unknown as typeof express5],
];

const key = keyFor('RS256');
const options: VerifierOptions = { issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] }, realm: 'messages-api' };

/** What a protected route answers: the parts of `req.auth` a test looks at. */
const showAuth: RequestHandler = (req: Request, res: Response) => {
  const auth = req.auth;
  res.json(auth ? { subject: auth.subject, clientId: auth.clientId, scopes: auth.scopes, permissions: auth.permissions, dialect: auth.dialect, binding: auth.binding } : { anonymous: true });
};

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function answer(response: globalThis.Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe.each(FRAMEWORKS)('%s', (_, createApp, framework) => {
  const servers: Server[] = [];
  /** Errors that reached the app's error handler. */
  let handled: unknown[] = [];

  /** Listens on an ephemeral 127.0.0.1 port (closed after the test); returns the port. */
  async function serve(app: App): Promise<number> {
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return (server.address() as { port: number }).port;
  }

  /** Starts an app on 127.0.0.1 that `setup` configures, with an error handler that renders a GuardError. */
  async function start(setup: (app: App) => void): Promise<(path: string, init?: RequestInit) => Promise<Answer>> {
    const app = createApp();
    setup(app);
    const errorHandler: ErrorRequestHandler = (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      handled.push(error);
      if (error instanceof GuardError) {
        res.status(error.status).set(error.headers).set('x-rendered-by', 'app').json(error.body);
      } else {
        res.status(500).json({ error: 'server_error' });
      }
    };
    app.use(errorHandler);
    const port = await serve(app);
    return async (path, init) => answer(await fetch(`http://127.0.0.1:${port}${path}`, init));
  }

  const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
    handled = [];
  });

  describe('authenticate', () => {
    it('puts the verified token on req.auth', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      const { status, body } = await get('/me', bearer(mint({ sub: 'auth0|alice', scope: 'read:messages', permissions: ['messages:read'] })));
      expect(status).toBe(200);
      expect(body).toEqual({
        subject: 'auth0|alice',
        clientId: 'client-1',
        scopes: ['read:messages'],
        permissions: ['messages:read'],
        dialect: 'generic',
        binding: 'bearer',
      });
    });

    it('takes a ready verifier as well as options', async () => {
      const get = await start((app) => app.get('/me', authenticate(createVerifier(options)), showAuth));
      expect((await get('/me', bearer(mint()))).status).toBe(200);
    });

    it('answers a request without a token with 401 and a challenge without error code', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      const { status, headers, body } = await get('/me');
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toBe('Bearer realm="messages-api"');
      expect(body).toEqual({ error: 'missing_credentials', error_description: 'The request has no access token.' });
    });

    it('answers a bad token with 401 invalid_token, the challenge and the JSON body', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      const { status, headers, body } = await get('/me', bearer(mint({ aud: `${AUDIENCE}/` })));
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toBe(
        'Bearer realm="messages-api", error="invalid_token", error_description="The access token is not meant for this API."',
      );
      expect(body).toEqual({ error: 'invalid_token', error_description: 'The access token is not meant for this API.' });
    });

    it('answers an expired token with 401 and says it expired', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      const { status, body } = await get('/me', bearer(mint({ iat: 1000, exp: 2000 })));
      expect(status).toBe(401);
      expect(body).toEqual({ error: 'invalid_token', error_description: 'The access token expired.' });
    });

    it('never sends the log reason to the client', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      const stranger = keyFor('RS256', 'kid-only-the-logs-should-name');
      const response = await get('/me', bearer(mint({}, { key: stranger })));
      expect(response.status).toBe(401);
      expect(JSON.stringify(response.body)).not.toContain('kid-only-the-logs-should-name');
      expect(response.headers.get('www-authenticate')).not.toContain('kid-only-the-logs-should-name');
    });

    it('answers a malformed Authorization header with 400 invalid_request', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      const { status, headers, body } = await get('/me', { headers: { authorization: 'Bearer a b' } });
      expect(status).toBe(400);
      expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="messages-api", error="invalid_request"/);
      expect(body.error).toBe('invalid_request');
    });

    it('answers two Authorization headers with 400 invalid_request, not with the first one\'s verdict', async () => {
      const app = createApp();
      app.get('/me', authenticate(options), showAuth);
      const token = mint();
      const { status, body } = await rawGet(await serve(app), '/me', { authorization: [`Bearer ${token}`, 'Bearer forged.token.value'] });
      expect(status).toBe(400);
      expect(body.error).toBe('invalid_request');
    });

    it('ignores a query token by default and accepts it when tokenLocations enables the query', async () => {
      const get = await start((app) => {
        app.get('/default', authenticate(options), showAuth);
        app.get('/query', authenticate({ ...options, tokenLocations: ['query'] }), showAuth);
      });
      const token = mint();
      expect((await get(`/default?access_token=${token}`)).status).toBe(401);
      expect((await get(`/query?access_token=${token}`)).status).toBe(200);
    });

    it('accepts a form body token when tokenLocations enables the body', async () => {
      const post = await start((app) => {
        app.post('/form', framework.urlencoded({ extended: false }), authenticate({ ...options, tokenLocations: ['body'] }), showAuth);
      });
      const { status } = await post('/form', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${mint()}`,
      });
      expect(status).toBe(200);
    });

    it('answers with a sendable challenge even when the realm has characters outside Latin-1', async () => {
      const get = await start((app) => app.get('/me', authenticate({ ...options, realm: 'Messages — production' }), showAuth));
      const { status, headers } = await get('/me', bearer('garbage'));
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toMatch(/^Bearer realm="Messages \? production", error="invalid_token"/);
    });

    it('never passes a refusal to the app\'s error handler', async () => {
      const get = await start((app) => app.get('/me', authenticate(options), showAuth));
      await get('/me');
      await get('/me', bearer('garbage'));
      expect(handled).toEqual([]);
    });
  });

  describe('onRefusal', () => {
    it('sees every refusal, with its reason for the log, before it is answered', async () => {
      const seen: Array<{ code: string; reason: string; path: string }> = [];
      const onRefusal = (error: GuardError, req: Request) => void seen.push({ code: error.code, reason: error.reason, path: req.path });
      const get = await start((app) =>
        app.get('/messages', authenticate(options, { onRefusal }), requireScopes('write:messages'), showAuth),
      );
      await get('/messages', bearer(mint({ aud: 'https://other.example.com' })));
      await get('/messages', bearer(mint({ scope: 'read:messages' })));
      expect(seen).toEqual([
        { code: 'invalid_token', reason: expect.stringMatching(/aud is "https:\/\/other.example.com"/), path: '/messages' },
        { code: 'insufficient_scope', reason: expect.stringMatching(/missing scopes \[write:messages\]/), path: '/messages' },
      ]);
    });

    it('is not called for an anonymous request let through in optional mode', async () => {
      let calls = 0;
      const get = await start((app) => app.get('/feed', authenticate(options, { optional: true, onRefusal: () => void calls++ }), showAuth));
      expect((await get('/feed')).status).toBe(200);
      expect(calls).toBe(0);
    });

    it('that throws sends the failure to the app\'s error handler instead of leaving the request hanging', async () => {
      const failure = new Error('log sink down');
      const get = await start((app) =>
        app.get('/me', authenticate(options, { onRefusal: () => { throw failure; } }), showAuth),
      );
      expect((await get('/me', bearer('garbage'))).status).toBe(500);
      expect(handled).toEqual([failure]);
    });
  });

  describe('optional mode', () => {
    it('lets a request without credentials through with req.auth unset', async () => {
      const get = await start((app) => app.get('/feed', authenticate(options, { optional: true } satisfies AuthenticateOptions), showAuth));
      expect(await get('/feed')).toMatchObject({ status: 200, body: { anonymous: true } });
    });

    it('still sets req.auth for a good token', async () => {
      const get = await start((app) => app.get('/feed', authenticate(options, { optional: true }), showAuth));
      expect(await get('/feed', bearer(mint({ sub: 'auth0|bob' })))).toMatchObject({ status: 200, body: { subject: 'auth0|bob' } });
    });

    it('still refuses a bad token', async () => {
      const get = await start((app) => app.get('/feed', authenticate(options, { optional: true }), showAuth));
      expect(await get('/feed', bearer(mint({ iss: 'https://evil.example/' })))).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    });

    it('lets a guard answer an anonymous request with 401 and the verifier\'s challenge', async () => {
      const get = await start((app) => app.get('/feed', authenticate(options, { optional: true }), requireScopes('read:messages'), showAuth));
      const { status, headers } = await get('/feed');
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toBe('Bearer realm="messages-api"');
    });
  });

  describe('requireScopes', () => {
    async function guarded(required: string | string[], match?: 'all' | 'any') {
      return start((app) => app.get('/messages', authenticate(options), requireScopes(required, match ? { match } : undefined), showAuth));
    }

    it('lets a token with every required scope through', async () => {
      const get = await guarded(['read:messages', 'write:messages']);
      expect((await get('/messages', bearer(mint({ scope: 'write:messages read:messages' })))).status).toBe(200);
    });

    it('answers a token missing a scope with 403 insufficient_scope naming what the route needs', async () => {
      const get = await guarded('read:messages write:messages');
      const { status, headers, body } = await get('/messages', bearer(mint({ scope: 'read:messages' })));
      expect(status).toBe(403);
      expect(headers.get('www-authenticate')).toBe(
        'Bearer realm="messages-api", error="insufficient_scope", error_description="The access token lacks the scopes this resource requires.", scope="read:messages write:messages"',
      );
      expect(body).toEqual({ error: 'insufficient_scope', error_description: 'The access token lacks the scopes this resource requires.' });
    });

    it('lets a token with any one of the scopes through under match "any"', async () => {
      const get = await guarded(['read:messages', 'admin'], 'any');
      expect((await get('/messages', bearer(mint({ scope: 'admin' })))).status).toBe(200);
    });

    it('answers a token with none of the scopes with 403 under match "any"', async () => {
      const get = await guarded(['read:messages', 'admin'], 'any');
      const { status, headers } = await get('/messages', bearer(mint({ scope: 'profile' })));
      expect(status).toBe(403);
      expect(headers.get('www-authenticate')).toContain('scope="read:messages admin"');
    });

    it('is a TypeError when built with nothing to require', () => {
      expect(() => requireScopes([])).toThrow(TypeError);
    });
  });

  describe('requirePermissions', () => {
    async function guarded(required: string | string[], match?: 'all' | 'any') {
      return start((app) => app.get('/messages', authenticate(options), requirePermissions(required, match ? { match } : undefined), showAuth));
    }

    it('lets a token with every required permission through', async () => {
      const get = await guarded(['messages:read', 'messages:delete']);
      expect((await get('/messages', bearer(mint({ permissions: ['messages:delete', 'messages:read'] })))).status).toBe(200);
    });

    it('answers a token missing a permission with 403 insufficient_scope naming what the route needs', async () => {
      const get = await guarded(['messages:read', 'messages:delete']);
      const { status, headers, body } = await get('/messages', bearer(mint({ permissions: ['messages:read'], scope: 'messages:delete' })));
      expect(status).toBe(403);
      expect(headers.get('www-authenticate')).toContain('scope="messages:read messages:delete"');
      expect(body.error).toBe('insufficient_scope');
    });

    it('lets a token with any one of the permissions through under match "any"', async () => {
      const get = await guarded(['messages:read', 'messages:delete'], 'any');
      expect((await get('/messages', bearer(mint({ permissions: ['messages:delete'] })))).status).toBe(200);
    });

    it('answers a token with none of the permissions with 403 under match "any"', async () => {
      const get = await guarded(['messages:read', 'messages:delete'], 'any');
      expect((await get('/messages', bearer(mint({ permissions: [] })))).status).toBe(403);
    });
  });

  describe('the request handed to the core', () => {
    /** A verifier that records what the adapter passes it; the translation is what is tested. */
    function recordingVerifier(seen: RequestLike[]): Verifier {
      const real = createVerifier(options);
      return { ...real, authenticate: (request, modes) => (seen.push(request), real.authenticate(request, modes)) };
    }

    it('carries the URL the client addressed, through a proxy only when Express trusts it', async () => {
      const seen: RequestLike[] = [];
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com, inner.example' };
      const direct = createApp();
      direct.get('/orders', authenticate(recordingVerifier(seen)), showAuth);
      const behindProxy = createApp();
      behindProxy.set('trust proxy', 'loopback');
      behindProxy.get('/orders', authenticate(recordingVerifier(seen)), showAuth);

      const directPort = await serve(direct);
      await rawGet(directPort, '/orders?page=2', forwarded);
      await rawGet(await serve(behindProxy), '/orders?page=2', forwarded);

      expect(seen.map((request) => [request.method, request.url])).toEqual([
        ['GET', `http://127.0.0.1:${directPort}/orders?page=2`],
        ['GET', 'https://api.example.com/orders?page=2'],
      ]);
    });
  });

  describe('when keys cannot be obtained', () => {
    let issuer: LocalIssuer;
    beforeAll(async () => {
      issuer = await LocalIssuer.start();
    });
    afterAll(async () => {
      await issuer.close();
    });

    it('answers our 503 itself by default: Retry-After and a body that names nothing internal', async () => {
      const unreachable = `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`;
      const get = await start((app) => app.get('/me', authenticate({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: unreachable }), showAuth));
      const { status, headers, body } = await get('/me', bearer(await issuer.mint(AUDIENCE)));
      expect(handled).toHaveLength(0);
      expect(status).toBe(503);
      expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    });

    it('passes our 503 to the app\'s error handler with forwardUnavailable', async () => {
      const unreachable = `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`;
      let reachedRoute = false;
      const get = await start((app) =>
        app.get('/me', authenticate({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: unreachable }, { forwardUnavailable: true }), (_req: Request, res: Response) => {
          reachedRoute = true;
          res.json({});
        }),
      );
      const { status, headers, body } = await get('/me', bearer(await issuer.mint(AUDIENCE)));
      expect(reachedRoute).toBe(false);
      expect(handled).toHaveLength(1);
      expect(handled[0]).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
      expect(status).toBe(503);
      expect(headers.get('x-rendered-by')).toBe('app');
      expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(headers.get('www-authenticate')).toBeNull();
      expect(body.error).toBe('temporarily_unavailable');
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    });

    it('is still a 503 with Retry-After from Express\'s own final handler when forwarded to an app that has none', async () => {
      const unreachable = `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`;
      const app = createApp();
      app.get('/me', authenticate({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: unreachable }, { forwardUnavailable: true }), showAuth);
      const port = await serve(app);
      const response = await fetch(`http://127.0.0.1:${port}/me`, bearer(await issuer.mint(AUDIENCE)));
      await response.arrayBuffer();
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });
  });
});

/** A GET with repeated header lines, which fetch cannot send (it folds them into one). */
