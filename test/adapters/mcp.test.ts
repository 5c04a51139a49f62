/**
 * access-token-guard/mcp with the MCP SDK's own Express parts: the SDK's `requireBearerAuth` over
 * `createTokenVerifier` answers our verification with its own errors; our `authenticate` leaves the
 * SDK's `AuthInfo` on `req.auth`, from which `authResultOf` gives the full result back; `forTools`
 * runs a guard only for a call of its tool. Real Express on 127.0.0.1, real tokens.
 */
import express, { type Request, type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, authResultOf, createTokenVerifier, forTools, requireScopes, type McpAuthInfo, type McpTokenVerifier } from '../../adapters/mcp.js';
import { createAuthorizer } from '../../adapters/lambda.js';
import type { VerifierOptions } from '../../src/index.js';
import { LocalIssuer } from '../../examples/local-issuer.js';
import { closedPort, listen, type RunningServer } from '../helpers/http.js';

const RESOURCE = 'https://mcp.example.com/mcp';

// The SDK's bearerAuth module declares `req.auth` for a whole program, where it would meet
// adapters/express.ts's declaration (see tsconfig.json): loaded here without its types.
const BEARER_AUTH = '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
const { requireBearerAuth } = (await import(BEARER_AUTH)) as {
  requireBearerAuth: (options: { verifier: McpTokenVerifier; expectedResource?: URL }) => RequestHandler;
};

let issuer: LocalIssuer;
let options: VerifierOptions;
const running: RunningServer[] = [];

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: RESOURCE, jwksUri: issuer.jwksUri, resourceMetadata: {} };
});

afterAll(async () => {
  await Promise.all(running.map((server) => server.close()));
  await issuer.close();
});

const authInfoOf = (req: Request) => (req as unknown as { auth?: McpAuthInfo }).auth;

async function serve(app: express.Express): Promise<string> {
  const server = await listen(app);
  running.push(server);
  return server.origin;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('createTokenVerifier under the SDK requireBearerAuth', () => {
  async function sdkProtected(verifierOptions: VerifierOptions): Promise<string> {
    const app = express();
    app.get('/mcp', requireBearerAuth({ verifier: createTokenVerifier(verifierOptions), expectedResource: new URL(RESOURCE) }), (req, res) => {
      const info = authInfoOf(req);
      res.json({ clientId: info?.clientId, scopes: info?.scopes, resource: info?.resource?.href, subject: authResultOf(info)?.subject });
    });
    return serve(app);
  }

  it('accepts a valid token with the AuthInfo the SDK checks: expiresAt, and resource for expectedResource', async () => {
    const origin = await sdkProtected(options);
    const response = await fetch(`${origin}/mcp`, { headers: bearer(await issuer.mint(RESOURCE, { scope: 'mcp:tools' })) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ clientId: 'demo-client-id', scopes: ['mcp:tools'], resource: RESOURCE, subject: 'auth0|demo-user' });
  });

  it('a token we refuse is the SDK 401 invalid_token, with our client-safe description', async () => {
    const origin = await sdkProtected(options);
    const response = await fetch(`${origin}/mcp`, { headers: bearer(await issuer.mint('https://other.example.com/')) });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is not meant for this API.' });
  });

  it('our 503 is the SDK 500, never a 401', async () => {
    const origin = await sdkProtected({ ...options, jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` });
    const response = await fetch(`${origin}/mcp`, { headers: bearer(await issuer.mint(RESOURCE)) });
    expect(response.status).toBe(500);
  });
});

describe('authenticate and forTools from access-token-guard/mcp', () => {
  let origin: string;
  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.use(authenticate(options));
    app.post('/mcp', forTools({ admin: requireScopes('mcp:admin') }), (req, res) => {
      const info = authInfoOf(req);
      res.json({ clientId: info?.clientId, expiresAt: typeof info?.expiresAt, permissions: authResultOf(info)?.permissions });
    });
    origin = await serve(app);
  });

  const call = async (body: unknown, scope = 'mcp:tools') =>
    fetch(`${origin}/mcp`, { method: 'POST', headers: { ...bearer(await issuer.mint(RESOURCE, { scope, permissions: ['p'] })), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('leaves the SDK AuthInfo on req.auth, and the full result behind it', async () => {
    const response = await call({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(await response.json()).toEqual({ clientId: 'demo-client-id', expiresAt: 'number', permissions: ['p'] });
  });

  it('runs the guard of the tool called, and only for a call of it', async () => {
    const refused = await call({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="mcp:admin"');
    expect((await call({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin' } }, 'mcp:admin')).status).toBe(200);
    expect((await call({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'other' } })).status).toBe(200);
    expect((await call({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { name: 'admin' } })).status).toBe(200);
  });
});

describe('the Lambda authorizer and the metadata document', () => {
  it('cannot serve it: a request for it that reaches the authorizer is Unauthorized', async () => {
    const authorizer = createAuthorizer(options);
    const event = {
      type: 'REQUEST' as const,
      version: '2.0' as const,
      routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/.well-known/oauth-protected-resource/mcp',
      rawPath: '/.well-known/oauth-protected-resource/mcp',
      headers: {},
      requestContext: { domainName: 'mcp.example.com', http: { method: 'GET' } },
    };
    await expect(authorizer(event)).rejects.toThrow('Unauthorized');
  });
});
