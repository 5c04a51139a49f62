/**
 * A Hono API that accepts Auth0 access tokens, served on Node by @hono/node-server. The same `app`
 * runs unchanged as a Cloudflare Worker (`export default app`), on Bun (`Bun.serve(app)`) or Deno
 * (`Deno.serve(app.fetch)`).
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/hono.ts
 *
 * In your app, import from 'access-token-guard/hono'.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { authenticate, requirePermissions, requireScopes } from '../adapters/hono.js';

const checkJwt = authenticate(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
    audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  },
  { onRefusal: (error, c) => console.warn(`refused ${c.req.method} ${c.req.path}: ${error.reason}`) },
);

const app = new Hono()
  .get('/api/public', (c) => c.json({ message: 'Hello from a public endpoint.' }))
  .get('/api/private', checkJwt, (c) => c.json({ message: `Hello, ${c.var.auth.subject}.` }))
  .get('/api/private-scoped', checkJwt, requireScopes('read:messages'), (c) => c.json({ message: 'You may read messages.' }))
  .delete('/api/messages/:id', checkJwt, requirePermissions('delete:messages'), (c) => c.body(null, 204));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '127.0.0.1' }, ({ address, port }) => {
  console.log(`listening on http://${address}:${port}`);
});
