/**
 * Express 4 and 5: `authenticate` puts the verified token on `req.auth`; `requireScopes` and
 * `requirePermissions` guard routes. Refusals are answered here (status, `WWW-Authenticate`,
 * `{ error, error_description }`); our own 503 goes to `next(err)` for the app's error handler,
 * carrying `status`, `headers` and `body` for a handler that renders it.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createVerifier, type AuthResult, type Verifier, type VerifierOptions } from '../src/index.js';
import { AccessTokenError, type ChallengeOptions } from '../src/errors.js';
import { permissionGuard, scopeGuard, type Guard, type GuardOptions } from '../src/guards.js';
import { NodeRequest, verifyNow } from './node-request.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access token, set by `authenticate`. */
      auth?: AuthResult;
    }
  }
}

export interface AuthenticateOptions {
  /** Let requests without any credentials through with `req.auth` unset. Bad tokens still fail. */
  optional?: boolean;
  /** Called with every refusal before it is answered: log `error.reason` here, never send it. */
  onRefusal?: (error: AccessTokenError, req: Request) => void;
}

/**
 * What `authenticate` leaves for the guards that follow it (its `onRefusal`, and its challenge
 * for an anonymous request), by request. Kept only when it adds something: a verified result
 * carries its verifier's challenge itself, so with no `onRefusal` an authenticated request
 * stores nothing. Each store costs ~2 µs in Express, whether a WeakMap entry or a property added
 * to a request it has re-prototyped (bench/RESULTS.md).
 */
interface GuardState {
  challenge: ChallengeOptions;
  onRefusal: AuthenticateOptions['onRefusal'];
}
const guardStates = new WeakMap<Request, GuardState>();

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): RequestHandler {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  const state: GuardState = { challenge: verifier.challenge, onRefusal: options.onRefusal };
  const keepState = options.onRefusal !== undefined;

  function accept(auth: AuthResult, req: Request, next: NextFunction): void {
    req.auth = auth;
    next();
  }

  function reject(error: unknown, req: Request, res: Response, next: NextFunction): void {
    if (options.optional && error instanceof AccessTokenError && error.code === 'missing_credentials') {
      guardStates.set(req, state);
      return next();
    }
    if (!(error instanceof AccessTokenError)) return next(error);
    options.onRefusal?.(error, req);
    refuse(res, error);
  }

  return (req: Request, res: Response, next: NextFunction) => {
    if (keepState) guardStates.set(req, state);
    let outcome: AuthResult | Promise<AuthResult>;
    try {
      outcome = verifyNow(verifier, new ExpressRequest(req));
    } catch (error) {
      return reject(error, req, res, next);
    }
    // Usually the result itself: the request goes on in this tick, as after a synchronous check.
    if (!(outcome instanceof Promise)) return accept(outcome, req, next);
    outcome
      .then(
        (auth) => accept(auth, req, next),
        (error: unknown) => reject(error, req, res, next),
      )
      // A failure while answering (a throwing onRefusal, a header Node refuses) must reach
      // Express, never become an unhandled rejection that leaves the request hanging.
      .catch(next);
  };
}

export function requireScopes(scopes: string | string[], options?: GuardOptions): RequestHandler {
  return guardMiddleware(scopeGuard(scopes, options));
}

export function requirePermissions(permissions: string | string[], options?: GuardOptions): RequestHandler {
  return guardMiddleware(permissionGuard(permissions, options));
}

function guardMiddleware(guard: Guard): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const error = guard(req.auth);
    if (!error) return next();
    const state = guardStates.get(req);
    if (state) error.challenge = state.challenge;
    state?.onRefusal?.(error, req);
    refuse(res, error);
  };
}

function refuse(res: Response, error: AccessTokenError): void {
  res.status(error.status).set(error.headers).json(error.body);
}

/** Express's request as the core reads it (see `NodeRequest`). */
class ExpressRequest extends NodeRequest {
  readonly #req: Request;

  constructor(req: Request) {
    super(req.method, req, req.body);
    this.#req = req;
  }

  /** Scheme and host as the client addressed them (DPoP's htu), through a trusted proxy if any. */
  get url(): string {
    return `${this.#req.protocol}://${hostOf(this.#req)}${this.#req.originalUrl}`;
  }
}

/**
 * `Host`, or `X-Forwarded-Host` when Express's `trust proxy` setting trusts the peer, with its
 * port: the same rule `req.protocol` follows, which `req.hostname` applies but without the port.
 */
function hostOf(req: Request): string {
  const trust = req.app.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined;
  const forwarded = req.get('x-forwarded-host');
  const host = forwarded && trust?.(req.socket.remoteAddress, 0) ? forwarded.split(',')[0]!.trim() : req.get('host');
  return host || 'localhost';
}

function isVerifier(value: Verifier | VerifierOptions): value is Verifier {
  return typeof (value as Verifier).verifyRequest === 'function';
}

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
