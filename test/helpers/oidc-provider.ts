/**
 * A real authorization server for tests: `oidc-provider` on 127.0.0.1 (port 0) issuing RFC 9068
 * JWT access tokens by the client-credentials grant, for any resource (API) asked for, with its
 * discovery document and JWKS served as it serves them in production.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface RunningProvider {
  /** `http://127.0.0.1:<port>` (no trailing slash, as oidc-provider writes `iss`). */
  readonly issuer: string;
  readonly clientId: string;
  /** An access token for `resource` with `scope`, from the token endpoint. */
  token(resource: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcProvider(options: { scopes?: string; clientId?: string } = {}): Promise<RunningProvider> {
  const clientId = options.clientId ?? 'machine-client';
  const clientSecret = 'a-long-enough-client-secret-for-tests';
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: `${clientId}-provider-key`, alg: 'RS256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          audience: resource,
          scope: options.scopes ?? 'read:messages write:messages',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    async token(resource, scope = 'read:messages') {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, resource, scope }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`token endpoint: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
