/**
 * Koa 2 and 3: `authenticate` puts the verified token on `ctx.state.auth`; `requireScopes` and
 * `requirePermissions` guard routes. Refusals are answered here (status, `WWW-Authenticate`,
 * `{ error, error_description }`); our own 503 is thrown, and Koa's conventions carry it: its
 * `status` (503) and `headers` (`Retry-After`) are used by Koa's default error handler, and, having
 * no `expose`, its detailed message stays in the log while the client reads "Service Unavailable".
 */
import type { Middleware, ParameterizedContext } from 'koa';
import { createVerifier, type AuthResult, type Verifier, type VerifierOptions } from '../src/index.js';
import { AccessTokenError, type ChallengeOptions } from '../src/errors.js';
import { permissionGuard, scopeGuard, type Guard, type GuardOptions } from '../src/guards.js';
import type { RequestLike } from '../src/types.js';
import { nodeHeaders, peerCertificate } from './node-request.js';

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

/** What `authenticate` leaves on the context for the guards that follow it. */
const STATE = Symbol('access-token-guard.koa');
type Context = ParameterizedContext<AuthState> & { [STATE]?: { challenge: ChallengeOptions; onRefusal: AuthenticateOptions['onRefusal'] } };

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): Middleware<AuthState> {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  return async (ctx: Context, next) => {
    ctx[STATE] = { challenge: verifier.challenge, onRefusal: options.onRefusal };
    let auth: AuthResult;
    try {
      auth = await verifier.verifyRequest(toRequestLike(ctx));
    } catch (error) {
      if (options.optional && error instanceof AccessTokenError && error.code === 'missing_credentials') return next();
      if (!(error instanceof AccessTokenError)) throw error;
      options.onRefusal?.(error, ctx);
      return refuse(ctx, error);
    }
    // `next()` stays outside the try: errors from downstream are not ours to translate.
    ctx.state.auth = auth;
    return next();
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
    const state = ctx[STATE];
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

function toRequestLike(ctx: Context): RequestLike {
  const body = (ctx.request as { body?: unknown }).body;
  return {
    method: ctx.method,
    // ctx.href honours Koa's own `app.proxy` setting for X-Forwarded-Proto and -Host.
    url: ctx.href,
    headers: nodeHeaders(ctx.req),
    clientCertificate: peerCertificate(ctx.req),
    // Set by a body parser (koa-bodyparser, @koa/bodyparser) mounted before `authenticate`.
    body: typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined,
  };
}

function isVerifier(value: Verifier | VerifierOptions): value is Verifier {
  return typeof (value as Verifier).verifyRequest === 'function';
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
