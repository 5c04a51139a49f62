/**
 * Express 4 and 5: `authenticate` puts the verified token on `req.auth`; `requireScopes`,
 * `requirePermissions` and `requireClaim` guard routes. Translation only: the core decides
 * (`verifier.authenticate`), and every refusal, our 503 included, is answered here with the
 * response it carries (status, `WWW-Authenticate` or `Retry-After`, `{ error, error_description }`).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Guard } from '../src/guards.js';
import { createGuardFactories, createHostAuthenticator, createHostGuard, type HostAuthenticateOptions } from '../src/host.js';
import { verifierFrom, type AuthResult, type ErrorResponse, type Outcome, type Verifier, type VerifierOptions } from '../src/index.js';
import { NodeRequest } from './node-request.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access token, set by `authenticate`. */
      auth?: AuthResult;
    }
  }
}

export interface AuthenticateOptions extends HostAuthenticateOptions<Request> {
  /**
   * Hand our 503 (keys or replay store unavailable) to Express's error handler with `next(error)`
   * instead of answering it here. Default `false`: answered with a safe body and `Retry-After`.
   */
  forwardUnavailable?: boolean;
}

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): RequestHandler {
  const authenticateRequest = createHostAuthenticator<Request>(verifierFrom(verifierOrOptions), options);

  function answer(outcome: Outcome, req: Request, res: Response, next: NextFunction): void {
    if (outcome.kind === 'accepted') {
      req.auth = outcome.auth;
      return next();
    }
    if (outcome.kind === 'anonymous') return next();
    if (outcome.kind === 'unavailable' && options.forwardUnavailable) return next(outcome.error);
    send(res, outcome.response);
  }

  return (req: Request, res: Response, next: NextFunction) => {
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = authenticateRequest(req, new ExpressRequest(req));
    } catch (error) {
      return next(error);
    }
    // Usually the outcome itself: the request goes on in this tick, as after a synchronous check.
    if (!(outcome instanceof Promise)) return answer(outcome, req, res, next);
    // A failure while answering (a throwing onRefusal, a header Node refuses) must reach
    // Express, never become an unhandled rejection that leaves the request hanging.
    outcome.then((settled) => answer(settled, req, res, next)).catch(next);
  };
}

export const { requireScopes, requirePermissions, requireClaim } = createGuardFactories(guardMiddleware);

function guardMiddleware(guard: Guard): RequestHandler {
  const check = createHostGuard<Request>(guard);
  return (req: Request, res: Response, next: NextFunction) => {
    const refusal = check(req, req.auth);
    if (!refusal) return next();
    send(res, refusal.response);
  };
}

function send(res: Response, response: ErrorResponse): void {
  res.status(response.status).set(response.headers).send(response.body);
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

export type { AuthResult, Verifier, VerifierOptions } from '../src/index.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError } from '../src/errors.js';
