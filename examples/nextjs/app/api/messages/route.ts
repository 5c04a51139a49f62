/**
 * A Next.js App Router route handler (app/api/messages/route.ts) on the Fetch-API entry: a route
 * handler is a function of the `Request`, so `authenticate` gives it the verified token or the
 * ready `Response` to return. Runs on the Node.js and the Edge runtimes alike.
 *
 * In your app, import from 'access-token-guard/web'.
 */
import { authenticate, requirePermissions, requireScopes } from '../../../../../adapters/web.js';

// At module scope: the verifier's key cache lives as long as the server (or the Edge isolate).
const checkJwt = authenticate({
  issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
  audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
});
const readMessages = requireScopes('read:messages');
const deleteMessages = requirePermissions('delete:messages');

export async function GET(request: Request): Promise<Response> {
  const auth = await checkJwt(request);
  if (auth instanceof Response) return auth; // 400/401 with WWW-Authenticate, or our 503
  return readMessages(auth) ?? Response.json({ messages: [], reader: auth.subject });
}

export async function DELETE(request: Request): Promise<Response> {
  const auth = await checkJwt(request);
  if (auth instanceof Response) return auth;
  return deleteMessages(auth) ?? new Response(null, { status: 204 });
}
