/**
 * An MCP server (the SDK's Streamable HTTP transport over Express) that only answers clients with
 * an access token for it. A client that knows nothing but the server's URL gets a 401 whose
 * challenge points to the Protected Resource Metadata; that names the authorization server, where
 * the client gets a token for this resource (RFC 8707) and comes back.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://mcp.example.com/mcp npx tsx examples/mcp-server.ts
 *
 * AUDIENCE is the server's MCP endpoint URL: it is the resource identifier clients ask tokens
 * for, so it is the tokens' audience too (with Auth0: the API's Identifier, exactly).
 * In your app, import from 'access-token-guard/mcp'.
 */
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { authenticate, authResultOf, forTools, requireAuthLevel, requireScopes } from '../adapters/mcp.js';

const resource = process.env.AUDIENCE ?? 'http://127.0.0.1:3000/mcp';

const checkToken = authenticate(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/',
    audience: resource,
    // Served at /.well-known/oauth-protected-resource/mcp; every 401 links to it.
    resourceMetadata: { scopesSupported: ['mcp:tools'], resourceName: 'Example MCP server' },
  },
  { onRefusal: (error, req) => console.warn(`refused ${req.method} ${req.originalUrl}: ${error.reason}`) },
);

/** One MCP server per request: the stateless Streamable HTTP setup. */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'example-mcp-server', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the access token speaks for.' }, async (extra) => {
    const auth = authResultOf(extra.authInfo);
    return { content: [{ type: 'text', text: `client ${extra.authInfo?.clientId}, subject ${auth?.subject}, scopes ${auth?.scopes.join(' ')}` }] };
  });
  server.registerTool('delete_messages', { description: 'Needs the mcp:admin scope.' }, async () => ({ content: [{ type: 'text', text: 'deleted' }] }));
  server.registerTool('transfer_funds', { description: 'Needs a sign-in within the last 5 minutes.' }, async () => ({ content: [{ type: 'text', text: 'transferred' }] }));
  return server;
}

const app = express();
app.use(express.json());
// On every path, so it also answers GET /.well-known/oauth-protected-resource/mcp itself.
app.use(checkToken);
app.post(
  '/mcp',
  forTools({ delete_messages: requireScopes('mcp:admin'), transfer_funds: requireAuthLevel({ maxAge: 300 }) }),
  async (req, res) => {
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  },
);

// Stateless: no server-initiated stream (GET) and no session to end (DELETE).
app.all('/mcp', (_req, res) => {
  res.status(405).set('allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`listening on http://${address}:${port}`);
});
