/**
 * Koa 2 and 3: `authenticate` puts the verified token on `ctx.state.auth`; `requireScopes` and
 * `requirePermissions` guard routes. Refusals are answered here (status, `WWW-Authenticate`,
 * `{ error, error_description }`); our own 503 is thrown, and Koa's conventions carry it: its
 * `status` (503) and `headers` (`Retry-After`) are used by Koa's default error handler, and, having
 * no `expose`, its detailed message stays in the log while the client reads "Service Unavailable".
 */
import type { Middleware, Next, ParameterizedContext } from 'koa';
import { createVerifier, type AuthResult, type Verifier, type VerifierOptions } from '../src/index.js';
import { AccessTokenError, type ChallengeOptions } from '../src/errors.js';
import { permissionGuard, scopeGuard, type Guard, type GuardOptions } from '../src/guards.js';
import { NodeRequest, verifyNow } from './node-request.js';

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

export interface AuthenticateOptions {
  /** Let requests without any credentials through with `ctx.state.auth` unset. Bad tokens still fail. */
  optional?: boolean;
  /** Called with every refusal before it is answered: log `error.reason` here, never send it. */
  onRefusal?: (error: AccessTokenError, ctx: ParameterizedContext<AuthState>) => void;
}

type Context = ParameterizedContext<AuthState>;

/**
 * What `authenticate` leaves for the guards that follow it (its `onRefusal`, and its challenge
 * for an anonymous request), by context. Kept only when it adds something: a verified result
 * carries its verifier's challenge itself, so with no `onRefusal` an authenticated request
 * stores nothing.
 */
interface GuardState {
  challenge: ChallengeOptions;
  onRefusal: AuthenticateOptions['onRefusal'];
}
const guardStates = new WeakMap<Context, GuardState>();

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): Middleware<AuthState> {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  const state: GuardState = { challenge: verifier.challenge, onRefusal: options.onRefusal };
  const keepState = options.onRefusal !== undefined;

  function reject(error: unknown, ctx: Context, next: Next): Promise<void> | void {
    if (options.optional && error instanceof AccessTokenError && error.code === 'missing_credentials') {
      guardStates.set(ctx, state);
      return next();
    }
    if (!(error instanceof AccessTokenError)) throw error;
    options.onRefusal?.(error, ctx);
    refuse(ctx, error);
  }

  // Not async: with the result at hand (the usual case) `next()` runs in this tick, as after a
  // synchronous check. Errors from downstream are not ours to translate: `next()` is never
  // inside the try.
  return (ctx: Context, next: Next) => {
    if (keepState) guardStates.set(ctx, state);
    let outcome: AuthResult | Promise<AuthResult>;
    try {
      outcome = verifyNow(verifier, new KoaRequest(ctx));
    } catch (error) {
      return reject(error, ctx, next);
    }
    if (!(outcome instanceof Promise)) {
      ctx.state.auth = outcome;
      return next();
    }
    return outcome.then(
      (auth) => {
        ctx.state.auth = auth;
        return next();
      },
      (error: unknown) => reject(error, ctx, next),
    );
  };
}

export function requireScopes(scopes: string | string[], options?: GuardOptions): Middleware<AuthState> {
  return guardMiddleware(scopeGuard(scopes, options));
}

export function requirePermissions(permissions: string | string[], options?: GuardOptions): Middleware<AuthState> {
  return guardMiddleware(permissionGuard(permissions, options));
}

function guardMiddleware(guard: Guard): Middleware<AuthState> {
  return (ctx: Context, next) => {
    const error = guard(ctx.state.auth);
    if (!error) return next();
    const state = guardStates.get(ctx);
    if (state) error.challenge = state.challenge;
    state?.onRefusal?.(error, ctx);
    refuse(ctx, error);
  };
}

function refuse(ctx: Context, error: AccessTokenError): void {
  ctx.status = error.status;
  ctx.set(error.headers);
  ctx.body = error.body;
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
}

function isVerifier(value: Verifier | VerifierOptions): value is Verifier {
  return typeof (value as Verifier).verifyRequest === 'function';
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
