/**
 * examples/mcp-server.ts end to end, driven by the MCP SDK's own client with its client-credentials
 * provider and a real authorization server (oidc-provider, resource indicators, JWT access tokens):
 * the client starts from the server's URL alone, gets a bare 401, follows `resource_metadata` to
 * the document, from it to the authorization server's metadata, gets a token for the resource
 * (RFC 8707) and calls a tool; a tool needing a scope the client may not have gets 403 with that
 * scope, and a step-up-protected tool gets `insufficient_user_authentication`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, closeServer } from '../helpers/http.js';
import { startExample, type ExampleProcess } from '../helpers/example-process.js';

const CLIENT = { clientId: 'mcp-agent', clientSecret: 'a-long-enough-client-secret-for-tests' };

let authorizationServer: Server;
let issuer: string;
let example: ExampleProcess;
let resource: string;

beforeAll(async () => {
  authorizationServer = createServer();
  await new Promise<void>((resolve) => authorizationServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(authorizationServer.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // The agent may have mcp:tools, never mcp:admin.
        scope: 'mcp:tools',
      },
    ],
    scopes: ['openid', 'mcp:tools', 'mcp:admin'],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'as-key-1', alg: 'RS256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => ({
          audience: indicator,
          scope: 'mcp:tools mcp:admin',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  authorizationServer.on('request', provider.callback());

  // The resource identifier is the server's URL, so the port is chosen before the example starts.
  const port = await closedPort();
  resource = `http://127.0.0.1:${port}/mcp`;
  example = await startExample('mcp-server.ts', { ISSUER: issuer, AUDIENCE: resource, PORT: String(port) });
}, 60_000);

afterAll(async () => {
  example?.stop();
  await closeServer(authorizationServer);
});

interface Exchange {
  method: string;
  url: string;
  status: number;
  wwwAuthenticate: string | null;
}

/** The SDK's client, connected with client credentials, and every HTTP exchange it made. */
async function connectedClient(): Promise<{ client: Client; exchanges: Exchange[] }> {
  const exchanges: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    exchanges.push({ method: init?.method ?? 'GET', url, status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') });
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    authProvider: new ClientCredentialsProvider({ ...CLIENT, scope: 'mcp:tools', expectedIssuer: issuer }),
    fetch: recording,
  });
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(transport);
  return { client, exchanges };
}

const text = (result: unknown) => ((result as { content: Array<{ text: string }> }).content[0] as { text: string }).text;

describe('examples/mcp-server.ts with the MCP SDK client', () => {
  it('discovers how to get a token from a bare 401, gets one for the resource, and calls a tool', async () => {
    const { client, exchanges } = await connectedClient();
    const result = await client.callTool({ name: 'whoami' });
    expect(text(result)).toBe(`client ${CLIENT.clientId}, subject ${CLIENT.clientId}, scopes mcp:tools`);

    const metadataUrl = `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(exchanges[0]).toEqual({ method: 'POST', url: resource, status: 401, wwwAuthenticate: `Bearer resource_metadata="${metadataUrl}"` });
    expect(exchanges[1]).toMatchObject({ method: 'GET', url: metadataUrl, status: 200 });
    const token = exchanges.find((exchange) => exchange.url === `${issuer}/token`);
    expect(token).toMatchObject({ method: 'POST', status: 200 });
    expect(exchanges.at(-1)).toMatchObject({ method: 'POST', url: resource, status: 200 });
    await client.close();
  });

  it('serves the Protected Resource Metadata that names the authorization server and the resource', async () => {
    const response = await fetch(`${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(await response.json()).toEqual({
      resource,
      authorization_servers: [issuer],
      scopes_supported: ['mcp:tools'],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['RS256'],
      resource_name: 'Example MCP server',
    });
  });

  it('a tool that needs a scope the token lacks: 403 insufficient_scope naming the scope', async () => {
    const { client, exchanges } = await connectedClient();
    // The SDK's client asks for the scope (step-up authorization), which this client may not have.
    await expect(client.callTool({ name: 'delete_messages' })).rejects.toThrow();
    const refusal = exchanges.find((exchange) => exchange.status === 403);
    expect(refusal?.wwwAuthenticate).toMatch(/^Bearer error="insufficient_scope", error_description="[^"]+", scope="mcp:admin", resource_metadata="/);
    await client.close();
  });

  it('a step-up-protected tool: 401 insufficient_user_authentication with max_age', async () => {
    const { client, exchanges } = await connectedClient();
    // A client-credentials token has no user authentication at all, so no auth_time.
    await expect(client.callTool({ name: 'transfer_funds' })).rejects.toThrow();
    const refusal = exchanges.find((exchange) => exchange.wwwAuthenticate?.includes('insufficient_user_authentication'));
    expect(refusal?.status).toBe(401);
    expect(refusal?.wwwAuthenticate).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age="300", resource_metadata="/);
    await client.close();
  });
});
