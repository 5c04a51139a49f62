/**
 * Hono 4, on every runtime Hono runs on (Node, Bun, Deno, Cloudflare Workers, Lambda):
 * `authenticate` sets `c.var.auth`; `requireScopes`, `requirePermissions` and `requireClaim` guard
 * routes. Translation only: the core decides (`verifier.authenticate`), and every refusal, our 503
 * included, is answered here with the response it carries (status, `WWW-Authenticate` or
 * `Retry-After`, `{ error, error_description }`).
 *
 * Typing: the middleware carry their `Variables`, so a handler after `authenticate` reads
 * `c.var.auth` as an `AuthResult` (after `authenticate(…, { optional: true })`, `AuthResult |
 * undefined`; after a guard, an `AuthResult` again, since a guard refuses anonymous requests).
 *
 * No Node built-in may reach this entry point (Workers): like the Fetch-API entry it makes its
 * verifiers on WebCrypto and never imports `src/index.ts`. On Node, a verifier from the main entry
 * (`node:crypto`, synchronous and faster) can be passed in instead. Hono itself is imported for
 * types only.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorResponse } from '../src/errors.js';
import type { Guard } from '../src/guards.js';
import { createGuardFactories, createHostAuthenticator, createHostGuard, type HostAuthenticateOptions } from '../src/host.js';
import type { Outcome } from '../src/outcome.js';
import type { AuthResult } from '../src/types.js';
import { isVerifier, type Verifier, type VerifierOptions } from '../src/verifier.js';
import { createVerifier } from './web.js';

/** The `Env` of a route behind `authenticate` (or any guard): `c.var.auth` is the verified token. */
export interface AuthEnv {
  Variables: { auth: AuthResult };
}

/** The `Env` behind `authenticate(…, { optional: true })`: no token, no `auth`. */
export interface OptionalAuthEnv {
  Variables: { auth: AuthResult | undefined };
}

export interface AuthenticateOptions extends HostAuthenticateOptions<Context> {
  /**
   * Throw our 503 (keys or replay store unavailable) for Hono's `app.onError` instead of answering
   * it here. Default `false`: answered with a safe body and `Retry-After`.
   */
  forwardUnavailable?: boolean;
}

export function authenticate(
  verifierOrOptions: Verifier | VerifierOptions,
  options?: AuthenticateOptions & { optional?: false },
): MiddlewareHandler<AuthEnv>;
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions): MiddlewareHandler<OptionalAuthEnv>;
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): MiddlewareHandler<AuthEnv> | MiddlewareHandler<OptionalAuthEnv> {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  const authenticateRequest = createHostAuthenticator<Context>(verifier, options);

  function answer(outcome: Outcome, c: Context<OptionalAuthEnv>, next: () => Promise<void>): Promise<Response | void> {
    if (outcome.kind === 'accepted') {
      c.set('auth', outcome.auth);
      return next();
    }
    if (outcome.kind === 'anonymous') return next();
    if (outcome.kind === 'unavailable' && options.forwardUnavailable) throw outcome.error;
    return Promise.resolve(send(c, outcome.response));
  }

  const middleware: MiddlewareHandler<OptionalAuthEnv> = (c, next) => {
    // The body is never read: a token in a form body (`tokenLocations: ['body']`) is not supported here.
    const outcome = authenticateRequest(c, { method: c.req.method, url: c.req.url, headers: c.req.raw.headers });
    // Usually the outcome itself: no promise hop before the next middleware.
    return outcome instanceof Promise ? outcome.then((settled) => answer(settled, c, next)) : answer(outcome, c, next);
  };
  return middleware;
}

export const { requireScopes, requirePermissions, requireClaim } = createGuardFactories(guardMiddleware);

function guardMiddleware(guard: Guard): MiddlewareHandler<AuthEnv> {
  const check = createHostGuard<Context>(guard);
  return async (c, next) => {
    // Typed as set, but a guard may run where `authenticate` did not (or let an anonymous request by).
    const refusal = check(c, c.get('auth') as AuthResult | undefined);
    if (!refusal) return next();
    return send(c, refusal.response);
  };
}

/** `c.body` rather than a new Response: headers other middleware set on `c` are kept. */
function send(c: Context, response: ErrorResponse): Response {
  return c.body(response.body, response.status as ContentfulStatusCode, response.headers);
}

export { boundTokens, cachedResults, createVerifier, encryptedTokens, introspectedTokens, pemKeys, protectedResourceMetadata, severalIssuers } from './web.js';
export type { AuthResult, Verifier, VerifierOptions } from './web.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
