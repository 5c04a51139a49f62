/**
 * Next.js middleware (middleware.ts at the project root) on the Fetch-API entry: every request
 * under /api/ except /api/public must carry a valid access token; a refusal is answered here,
 * before any route runs. Returning nothing lets the request go on (Next's `NextResponse.next()`
 * does the same). Route handlers that need the token's claims verify it again: with the result
 * cache on (`resultCache`), that costs a lookup.
 *
 * In your app, import from 'access-token-guard/web'.
 */
import { authenticate } from '../../adapters/web.js';

const checkJwt = authenticate({
  issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/',
  audience: process.env.AUDIENCE ?? 'https://api.example.com',
});

export const config = { matcher: '/api/:path*' };

// `request` is a NextRequest, which extends the standard Request.
export async function middleware(request: Request): Promise<Response | undefined> {
  if (new URL(request.url).pathname.startsWith('/api/public')) return undefined;
  const auth = await checkJwt(request);
  return auth instanceof Response ? auth : undefined;
}
