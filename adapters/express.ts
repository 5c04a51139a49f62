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
import type { RequestLike } from '../src/types.js';
import { nodeHeaders, peerCertificate } from './node-request.js';

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

/** What `authenticate` leaves on the request for the guards that follow it. */
const STATE = Symbol('access-token-guard.express');
type GuardedRequest = Request & { [STATE]?: { challenge: ChallengeOptions; onRefusal: AuthenticateOptions['onRefusal'] } };

export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}): RequestHandler {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  return (req: Request, res: Response, next: NextFunction) => {
    (req as GuardedRequest)[STATE] = { challenge: verifier.challenge, onRefusal: options.onRefusal };
    verifier.verifyRequest(toRequestLike(req)).then(
      (auth) => {
        req.auth = auth;
        next();
      },
      (error: unknown) => {
        if (options.optional && error instanceof AccessTokenError && error.code === 'missing_credentials') return next();
        if (error instanceof AccessTokenError) {
          options.onRefusal?.(error, req);
          return refuse(res, error);
        }
        next(error);
      },
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
    const state = (req as GuardedRequest)[STATE];
    if (state) error.challenge = state.challenge;
    state?.onRefusal?.(error, req);
    refuse(res, error);
  };
}

function refuse(res: Response, error: AccessTokenError): void {
  res.status(error.status).set(error.headers).json(error.body);
}

function toRequestLike(req: Request): RequestLike {
  return {
    method: req.method,
    // Scheme and host as the client addressed them (DPoP's htu), through a trusted proxy if any.
    url: `${req.protocol}://${hostOf(req)}${req.originalUrl}`,
    headers: nodeHeaders(req),
    clientCertificate: peerCertificate(req),
    body: typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : undefined,
  };
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
