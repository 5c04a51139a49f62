/**
 * Koa 2 and 3: `authenticate` puts the verified token on `ctx.state.auth`; `requireScopes`,
 * `requirePermissions` and `requireClaim` guard routes. Translation only: the core decides
 * (`verifier.authenticate`), and every refusal, our 503 included, is answered here with the
 * response it carries (status, `WWW-Authenticate` or `Retry-After`, `{ error, error_description }`).
 */
import type { Middleware, Next, ParameterizedContext } from 'koa';
import type { Guard } from '../src/guards.js';
import { createGuardFactories, createHostAuthenticator, createHostGuard, type HostAuthenticateOptions } from '../src/host.js';
import { verifierFrom, type AuthResult, type ErrorResponse, type Outcome, type Verifier, type VerifierOptions } from '../src/index.js';
import { NodeRequest } from './node-request.js';

/** The state these middleware read and write; `Koa<AuthState>` or `Router<AuthState>` types it. */
export interface AuthState {
  /** The verified access token, set by `authenticate`. */
  auth?: AuthResult;
}

declare module 'koa' {
  // Also typed on the default state, so a plain `new Koa()` app sees `ctx.state.auth`.
  interface DefaultState {
    auth?: AuthResult;
  }
}

type Context = ParameterizedContext<AuthState>;

export interface AuthenticateOptions extends HostAuthenticateOptions<Context> {
  /**
   * Throw our 503 (keys or replay store unavailable) for Koa's error handling instead of
   * answering it here. Default `false`: answered with a safe body and `Retry-After`.
   */
  forwardUnavailable?: boolean;
}

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): Middleware<AuthState> {
  const authenticateRequest = createHostAuthenticator<Context>(verifierFrom(verifierOrOptions), options);

  function answer(outcome: Outcome, ctx: Context, next: Next): Promise<void> | void {
    if (outcome.kind === 'accepted') {
      ctx.state.auth = outcome.auth;
      return next();
    }
    if (outcome.kind === 'anonymous') return next();
    if (outcome.kind === 'unavailable' && options.forwardUnavailable) throw outcome.error;
    send(ctx, outcome.response);
  }

  // Not async: with the outcome at hand (the usual case) `next()` runs in this tick, as after a
  // synchronous check. Errors from downstream are not ours to translate.
  return (ctx: Context, next: Next) => {
    const outcome = authenticateRequest(ctx, new KoaRequest(ctx));
    return outcome instanceof Promise ? outcome.then((settled) => answer(settled, ctx, next)) : answer(outcome, ctx, next);
  };
}

export const { requireScopes, requirePermissions, requireClaim, requireAuthLevel } = createGuardFactories(guardMiddleware);

function guardMiddleware(guard: Guard): Middleware<AuthState> {
  const check = createHostGuard<Context>(guard);
  return (ctx: Context, next) => {
    const refusal = check(ctx, ctx.state.auth);
    if (!refusal) return next();
    send(ctx, refusal.response);
  };
}

function send(ctx: Context, response: ErrorResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

/**
 * Koa's request as the core reads it (see `NodeRequest`). The body is set by a body parser
 * (koa-bodyparser, @koa/bodyparser) mounted before `authenticate`.
 */
class KoaRequest extends NodeRequest {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    super(ctx.method, ctx.req, (ctx.request as { body?: unknown }).body);
    this.#ctx = ctx;
  }

  /** ctx.href honours Koa's own `app.proxy` setting for X-Forwarded-Proto and -Host. */
  get url(): string {
    return this.#ctx.href;
  }

  get path(): string {
    return this.#ctx.originalUrl;
  }
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { AuthLevelOptions, GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
