/**
 * An Elysia API on Bun that accepts Auth0 access tokens, on the Fetch-API entry: Elysia hands each
 * handler the standard `Request`, which `authenticate` turns into the verified token or a ready
 * `Response` (400/401 with WWW-Authenticate, or our 503) that the handler returns as it is.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com bun run examples/elysia.ts
 *
 * In your app, import from 'access-token-guard/web'.
 */
import { Elysia } from 'elysia';
import { authenticate, requirePermissions, requireScopes, type AuthResult } from '../adapters/web.js';

// At module scope: the verifier's key cache lives as long as the process.
const checkJwt = authenticate(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
    audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  },
  { onRefusal: (error, request) => console.warn(`refused ${request.method} ${request.url}: ${error.reason}`) },
);
const readMessages = requireScopes('read:messages');
const deleteMessages = requirePermissions('delete:messages');

/** Runs `handler` with the verified token, or answers the refusal. */
async function withAuth<T>(request: Request, handler: (auth: AuthResult) => T): Promise<T | Response> {
  const auth = await checkJwt(request);
  return auth instanceof Response ? auth : handler(auth);
}

const app = new Elysia()
  .get('/api/public', () => ({ message: 'Hello from a public endpoint.' }))
  .get('/api/private', ({ request }) => withAuth(request, (auth) => ({ message: `Hello, ${auth.subject}.` })))
  .get('/api/private-scoped', ({ request }) => withAuth(request, (auth) => readMessages(auth) ?? { message: 'You may read messages.' }))
  .delete('/api/messages/:id', ({ request }) => withAuth(request, (auth) => deleteMessages(auth) ?? new Response(null, { status: 204 })));

app.listen({ port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '127.0.0.1' }, ({ hostname, port }) => {
  console.log(`listening on http://${hostname}:${port}`);
});
