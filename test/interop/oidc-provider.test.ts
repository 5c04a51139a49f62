/**
 * Tokens from a real authorization server: `oidc-provider` issues RFC 9068 JWT access tokens
 * (client credentials grant, resource indicators) and serves discovery and its JWKS on
 * 127.0.0.1; the verifier finds the keys by discovery alone, as it would for Auth0.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type AuthResult } from '../../src/index.js';
import { AccessTokenError } from '../../src/errors.js';

const API = 'https://api.example.com/';
const OTHER_API = 'https://other.example.com/';

let server: Server;
let issuer: string;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'machine-client',
        client_secret: 'a-long-enough-client-secret-for-tests',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'provider-key-1', alg: 'RS256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          audience: resource,
          scope: 'read:messages write:messages',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function clientCredentialsToken(resource: string, scope = 'read:messages'): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'machine-client',
      client_secret: 'a-long-enough-client-secret-for-tests',
      resource,
      scope,
    }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!body.access_token) throw new Error(`token endpoint: ${body.error}: ${body.error_description}`);
  return body.access_token;
}

describe('tokens issued by oidc-provider', () => {
  it('are accepted with keys found by discovery alone, as RFC 9068 tokens', async () => {
    const verifier = createVerifier({ issuer, audience: API, dialect: 'rfc9068' });
    const auth: AuthResult = await verifier.verify(await clientCredentialsToken(API));
    expect(auth.dialect).toBe('rfc9068');
    expect(auth.clientId).toBe('machine-client');
    expect(auth.scopes).toEqual(['read:messages']);
    expect(auth.header.typ).toBe('at+jwt');
    expect(auth.binding).toBe('bearer');
  });

  it('are refused when issued for another API', async () => {
    const verifier = createVerifier({ issuer, audience: API });
    const rejection = await verifier.verify(await clientCredentialsToken(OTHER_API)).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(AccessTokenError);
    expect(rejection).toMatchObject({ code: 'invalid_token', status: 401 });
    expect((rejection as AccessTokenError).reason).toContain(OTHER_API);
  });

  it('are refused under the auth0 dialect, with a reason that names the profile mismatch', async () => {
    const verifier = createVerifier({ issuer, audience: API, dialect: 'auth0' });
    const rejection = (await verifier.verify(await clientCredentialsToken(API)).catch((error: unknown) => error)) as AccessTokenError;
    expect(rejection.code).toBe('invalid_token');
    expect(rejection.reason).toMatch(/no azp but has client_id.*rfc9068/);
  });

  it('are refused when the verifier expects another issuer identifier, even by a trailing slash', async () => {
    const verifier = createVerifier({ issuer: `${issuer}/`, audience: API, jwksUri: `${issuer}/jwks` });
    const rejection = (await verifier.verify(await clientCredentialsToken(API)).catch((error: unknown) => error)) as AccessTokenError;
    expect(rejection.code).toBe('invalid_token');
    expect(rejection.reason).toContain('trailing slash');
  });
});
