/**
 * Express 4 and 5: `authenticate` puts the verified token on `req.auth`; `requireScopes`,
 * `requirePermissions`, `requireClaim` and `requireAuthLevel` guard routes. Translation only (see
 * express-middleware.ts): every refusal, our 503 included, is answered with the response it
 * carries (status, `WWW-Authenticate` or `Retry-After`, `{ error, error_description }`), and, with
 * `resourceMetadata` set, a GET of `/.well-known/oauth-protected-resource` with the document.
 *
 * An MCP server built on `@modelcontextprotocol/sdk` uses `access-token-guard/mcp` instead: the SDK
 * types `req.auth` too, as its `AuthInfo`, and two declarations of one property cannot agree.
 */
import type { RequestHandler } from 'express';
import { authLevelGuard, claimGuard, permissionGuard, scopeGuard, type AuthLevelOptions, type GuardOptions } from '../src/guards.js';
import type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
import { authenticateInto, guardMiddleware, type AuthSlot, type AuthenticateOptions } from './express-middleware.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access token, set by `authenticate`. */
      auth?: AuthResult;
    }
  }
}

const onRequest: AuthSlot = {
  put: (req, auth) => {
    req.auth = auth;
  },
  get: (req) => req.auth,
};

export type { AuthenticateOptions } from './express-middleware.js';

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): RequestHandler {
  return authenticateInto(onRequest, verifierOrOptions, options);
}

export function requireScopes(scopes: string | string[], options?: GuardOptions): RequestHandler {
  return guardMiddleware(onRequest, scopeGuard(scopes, options));
}

export function requirePermissions(permissions: string | string[], options?: GuardOptions): RequestHandler {
  return guardMiddleware(onRequest, permissionGuard(permissions, options));
}

/** 403 unless `predicate(claims)` holds; `description` is what the client reads. */
export function requireClaim(predicate: (claims: AuthResult['claims']) => boolean, description: string): RequestHandler {
  return guardMiddleware(onRequest, claimGuard(predicate, description));
}

/**
 * Step-up (RFC 9470): 401 `insufficient_user_authentication` unless the user authenticated with one
 * of `acrValues` and within `maxAge` seconds; the challenge says which.
 */
export function requireAuthLevel(options: AuthLevelOptions): RequestHandler {
  return guardMiddleware(onRequest, authLevelGuard(options));
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { AuthLevelOptions, GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
