/**
 * The Express middleware itself, for `access-token-guard/express` (which types `req.auth` as our
 * `AuthResult`) and `access-token-guard/mcp` (which leaves `req.auth` to the MCP SDK's `AuthInfo`
 * typing): the two differ only in what they put on the request, their `AuthSlot`. Translation
 * only: the core decides (`verifier.authenticate`), and every refusal, our 503 included, and every
 * document the verifier answers itself, is sent here with the response it carries.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Guard } from '../src/guards.js';
import { createGuardFactories, createHostAuthenticator, createHostGuard, type GuardFactories, type HostAuthenticateOptions } from '../src/host.js';
import { verifierFrom, type AuthResult, type ErrorResponse, type Outcome, type Verifier, type VerifierOptions } from '../src/index.js';
import { NodeRequest } from './node-request.js';

/** Where an entry point keeps the verified token on the request, and reads it back for guards. */
export interface AuthSlot {
  put(req: Request, auth: AuthResult): void;
  get(req: Request): AuthResult | undefined;
}

export interface AuthenticateOptions extends HostAuthenticateOptions<Request> {
  /**
   * Hand our 503 (keys or replay store unavailable) to Express's error handler with `next(error)`
   * instead of answering it here. Default `false`: answered with a safe body and `Retry-After`.
   */
  forwardUnavailable?: boolean;
}

export function authenticateInto(slot: AuthSlot, verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): RequestHandler {
  const authenticateRequest = createHostAuthenticator<Request>(verifierFrom(verifierOrOptions), options);

  function answer(outcome: Outcome, req: Request, res: Response, next: NextFunction): void {
    if (outcome.kind === 'accepted') {
      slot.put(req, outcome.auth);
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

/** Every guard export (`requireScopes`, …, `requireAuthLevel`) for an entry point's slot. */
export function guardFactories(slot: AuthSlot): GuardFactories<RequestHandler> {
  return createGuardFactories((guard) => guardMiddleware(slot, guard));
}

function guardMiddleware(slot: AuthSlot, guard: Guard): RequestHandler {
  const check = createHostGuard<Request>(guard);
  return (req: Request, res: Response, next: NextFunction) => {
    const refusal = check(req, slot.get(req));
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

  /** `originalUrl`: a router mounted on a path rewrites `req.url`, never this. */
  get path(): string {
    return this.#req.originalUrl;
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
