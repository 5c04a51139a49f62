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
import type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
import { authenticateInto, guardFactories, type AuthSlot, type AuthenticateOptions } from './express-middleware.js';

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

export const { requireScopes, requirePermissions, requireClaim, requireAuthLevel } = guardFactories(onRequest);

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { AuthLevelOptions, GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
