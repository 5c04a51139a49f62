/**
 * A Fetch-API handler (`Request` in, `Response` out) that accepts Auth0 access tokens. The same
 * `handle` runs unchanged as a Cloudflare Worker (`export default { fetch: handle }`), on Deno
 * (`Deno.serve(handle)`), on Bun (`Bun.serve({ fetch: handle })`) or in a Hono route; below, Node's
 * own `http` server hands it requests.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/web.ts
 *
 * In your app, import from 'access-token-guard/web'.
 */
import { createServer } from 'node:http';
import { authenticate, requirePermissions, requireScopes } from '../adapters/web.js';

// At module scope: the verifier's key cache lives as long as the process (or the Worker isolate).
const checkJwt = authenticate(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
    audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  },
  { onRefusal: (error, request) => console.warn(`refused ${request.method} ${request.url}: ${error.reason}`) },
);
const readMessages = requireScopes('read:messages');
const deleteMessages = requirePermissions('delete:messages');

export async function handle(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === '/api/public') return Response.json({ message: 'Hello from a public endpoint.' });

  const auth = await checkJwt(request);
  if (auth instanceof Response) return auth; // 400/401 with WWW-Authenticate, or our 503
  if (pathname === '/api/private') return Response.json({ message: `Hello, ${auth.subject}.` });
  if (pathname === '/api/private-scoped') return readMessages(auth) ?? Response.json({ message: 'You may read messages.' });
  if (request.method === 'DELETE' && pathname.startsWith('/api/messages/')) return deleteMessages(auth) ?? new Response(null, { status: 204 });
  return Response.json({ error: 'not_found' }, { status: 404 });
}

// Node glue: IncomingMessage -> Request, Response -> ServerResponse (bodies left out: this API reads none).
const server = createServer(async (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) for (const item of [value ?? []].flat()) headers.append(name, item);
  const response = await handle(new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: req.method, headers }));
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.writeHead(response.status).end(Buffer.from(await response.arrayBuffer()));
});
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`listening on http://${address}:${port}`);
});
