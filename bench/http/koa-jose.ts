/**
 * The Koa peer: there is no maintained Auth0 middleware for Koa, so this is the middleware most
 * Koa APIs write — jose v6 `jwtVerify` over `createRemoteJWKSet` — kept as small as it can be.
 */
import type { Middleware } from 'koa';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export function joseKoaMiddleware(options: { issuer: string; audience: string; jwksUri: string }): Middleware {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri));
  const verifyOptions = { issuer: options.issuer, audience: options.audience, algorithms: ['RS256'] };
  return async (ctx, next) => {
    const authorization = ctx.get('authorization');
    if (!authorization.startsWith('Bearer ')) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer');
      return;
    }
    try {
      const { payload } = await jwtVerify(authorization.slice(7), jwks, verifyOptions);
      ctx.state.user = payload;
    } catch {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return;
    }
    await next();
  };
}
