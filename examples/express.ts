/**
 * An Express API (4 or 5) that accepts Auth0 access tokens.
 *
 *   ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com npx tsx examples/express.ts
 *
 * In your app, import from 'access-token-guard/express'.
 */
import express from 'express';
import { authenticate, requirePermissions, requireScopes } from '../adapters/express.js';

const checkJwt = authenticate(
  {
    issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
    audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
  },
  { onRefusal: (error, req) => console.warn(`refused ${req.method} ${req.originalUrl}: ${error.reason}`) },
);

const app = express();
app.get('/api/public', (_req, res) => {
  res.json({ message: 'Hello from a public endpoint.' });
});
app.get('/api/private', checkJwt, (req, res) => {
  res.json({ message: `Hello, ${req.auth?.subject}.` });
});
app.get('/api/private-scoped', checkJwt, requireScopes('read:messages'), (_req, res) => {
  res.json({ message: 'You may read messages.' });
});
app.delete('/api/messages/:id', checkJwt, requirePermissions('delete:messages'), (_req, res) => {
  res.sendStatus(204);
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as { address: string; port: number };
  console.log(`listening on http://${address}:${port}`);
});
