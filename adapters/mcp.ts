/**
 * MCP servers on `@modelcontextprotocol/sdk` over Express. The SDK hands its tool handlers the
 * `AuthInfo` it finds on `req.auth` (and types `req.auth` as that, in `express-serve-static-core`),
 * so this entry's middleware put an `AuthInfo` there — `toAuthInfo` of the verified token — and,
 * unlike `access-token-guard/express`, declare nothing on `req`: the two typings then never meet.
 * `authResultOf(extra.authInfo)` gives a handler the full result back.
 *
 * Two ways to protect the SDK's transport:
 * - `authenticate(options)` with `resourceMetadata` set (recommended): the Protected Resource
 *   Metadata document, challenges with `resource_metadata`, DPoP, mTLS, guards, step-up;
 * - the SDK's own `requireBearerAuth({ verifier: createTokenVerifier(options) })`: Bearer only.
 *
 * `@modelcontextprotocol/sdk` is an optional peer dependency, needed only by `createTokenVerifier`.
 */
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { RequestHandler } from 'express';
import { AccessTokenError, verifierFrom, type Verifier, type VerifierOptions } from '../src/index.js';
import { authResultOf, toAuthInfo, type McpAuthInfo } from '../src/mcp.js';
import { authenticateInto, guardFactories, type AuthSlot, type AuthenticateOptions } from './express-middleware.js';

/** `req.auth` as the SDK declares it; declared here only for our own reading, never exported. */
type WithAuthInfo = { auth?: McpAuthInfo };

const asAuthInfo: AuthSlot = {
  put: (req, auth) => {
    (req as unknown as WithAuthInfo).auth = toAuthInfo(auth);
  },
  get: (req) => authResultOf((req as unknown as WithAuthInfo).auth),
};

export type { AuthenticateOptions } from './express-middleware.js';

/** Express middleware: the token on `req.auth` as the SDK's `AuthInfo`; refusals and the metadata document answered. */
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): RequestHandler {
  return authenticateInto(asAuthInfo, verifierOrOptions, options);
}

export const { requireScopes, requirePermissions, requireClaim, requireAuthLevel } = guardFactories(asAuthInfo);

/**
 * Guards per tool: every MCP tool call arrives on the same endpoint, so a route guard cannot tell
 * them apart. For a JSON-RPC `tools/call` whose `params.name` is a key of `guards` (the body
 * parsed by `express.json()` first), that guard runs — `requireScopes(…)` answers 403
 * `insufficient_scope` with the scope, which the SDK's client then asks for (step-up
 * authorization); `requireAuthLevel(…)` answers 401 `insufficient_user_authentication`. Any other
 * request goes on.
 */
export function forTools(guards: Record<string, RequestHandler>): RequestHandler {
  const byName = new Map(Object.entries(guards));
  return (req, res, next) => {
    const guard = byName.get(calledTool(req.body) ?? '');
    if (guard === undefined) return next();
    return guard(req, res, next);
  };
}

/** The tool a JSON-RPC message calls, if it is a `tools/call`. */
function calledTool(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  return method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
}

/** The SDK's `OAuthTokenVerifier`, structurally. */
export interface McpTokenVerifier {
  verifyAccessToken(token: string): Promise<McpAuthInfo>;
}

/**
 * An `OAuthTokenVerifier` for the SDK's `requireBearerAuth`: our verification, the SDK's errors
 * (it answers only its own: 401 `InvalidTokenError`, 403 `InsufficientScopeError`; our 503 becomes
 * its 500 `ServerError`, never a 401). Each error's message is our client-safe description.
 */
export function createTokenVerifier(verifierOrOptions: Verifier | VerifierOptions): McpTokenVerifier {
  const verifier = verifierFrom(verifierOrOptions);
  return {
    verifyAccessToken: (token) => verifier.verify(token).then(toAuthInfo, (error: unknown) => Promise.reject(sdkError(error))),
  };
}

function sdkError(error: unknown): Error {
  if (!(error instanceof AccessTokenError)) return new ServerError(error instanceof Error ? error.message : 'Internal Server Error');
  if (error.status === 403) return new InsufficientScopeError(error.description);
  if (error.status === 400) return new InvalidRequestError(error.description);
  return new InvalidTokenError(error.description);
}

export { authResultOf, toAuthInfo, type McpAuthInfo } from '../src/mcp.js';
export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { AuthLevelOptions, GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
