/**
 * A Fastify 5 API that accepts Auth0 access tokens.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/fastify.ts
 *
 * In your app, import from 'access-token-guard/fastify'.
 */
import Fastify from 'fastify';
import guard, { GuardError, requirePermissions, requireScopes } from '../adapters/fastify.js';

const app = Fastify();

// Our 503 (keys unavailable) is thrown to this handler; send its body, log its reason.
app.setErrorHandler((error, request, reply) => {
  if (!(error instanceof GuardError)) return reply.send(error);
  request.log.error(error.reason);
  return reply.code(error.status).headers(error.headers).send(error.body);
});

await app.register(guard, {
  issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
  audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  onRefusal: (error, request) => request.log.warn(`refused ${request.method} ${request.url}: ${error.reason}`),
});

// Every route is authenticated by the plugin; this one opts out.
app.get('/api/public', { config: { auth: false } }, async () => ({ message: 'Hello from a public endpoint.' }));
app.get('/api/private', async (request) => ({ message: `Hello, ${request.auth?.subject}.` }));
app.get('/api/private-scoped', { preHandler: requireScopes('read:messages') }, async () => ({ message: 'You may read messages.' }));
app.delete('/api/messages/:id', { preHandler: requirePermissions('delete:messages') }, async (_request, reply) => reply.code(204).send());

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
console.log(`listening on ${address}`);
