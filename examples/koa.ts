/**
 * A Koa API (2 or 3) that accepts Auth0 access tokens; plain middleware, no router needed.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/koa.ts
 *
 * In your app, import from 'access-token-guard/koa' (with @koa/router: `router.get(path, checkJwt, requireScopes(…), handler)`).
 */
import Koa from 'koa';
import { authenticate, requirePermissions, requireScopes, type AuthState } from '../adapters/koa.js';

const checkJwt = authenticate(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
    audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  },
  { onRefusal: (error, ctx) => console.warn(`refused ${ctx.method} ${ctx.url}: ${error.reason}`) },
);
const readMessages = requireScopes('read:messages');
const deleteMessages = requirePermissions('delete:messages');

const app = new Koa<AuthState>();
app.use(async (ctx, next) => {
  if (ctx.path === '/api/public') return void (ctx.body = { message: 'Hello from a public endpoint.' });
  await checkJwt(ctx, next); // everything below is authenticated
});
app.use(async (ctx, next) => {
  if (ctx.path === '/api/private-scoped') return readMessages(ctx, next);
  if (ctx.method === 'DELETE' && ctx.path.startsWith('/api/messages/')) return deleteMessages(ctx, next);
  await next();
});
app.use((ctx) => {
  if (ctx.path === '/api/private') ctx.body = { message: `Hello, ${ctx.state.auth?.subject}.` };
  else if (ctx.path === '/api/private-scoped') ctx.body = { message: 'You may read messages.' };
  else if (ctx.method === 'DELETE') ctx.status = 204;
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`listening on http://${address}:${port}`);
});
