/**
 * Any runtime with the Fetch API (Node 20+, Cloudflare Workers, Vercel and Netlify functions,
 * Deno, Bun, Hono): `authenticate(options)` gives a function of a `Request` that resolves with the
 * verified token, or with a ready `Response` (status, `WWW-Authenticate`, JSON body) when the
 * request is refused, and when keys cannot be had (503, `Retry-After`). Guards work on the result.
 *
 * No Node built-in may reach this entry point: it wires the WebCrypto backend itself and never
 * imports `src/index.ts` (which wires `node:crypto`). A test greps the build and runs it in workerd.
 */
import { webCrypto } from '../src/crypto/web.js';
import { AccessTokenError, GuardError } from '../src/errors.js';
import { permissionGuard, scopeGuard, type Guard, type GuardOptions } from '../src/guards.js';
import type { AuthResult } from '../src/types.js';
import { createVerifierWith, type Verifier, type VerifierOptions } from '../src/verifier.js';

/** A verifier on WebCrypto: what `createVerifier` from the main entry is, minus `node:crypto`. */
export function createVerifier(options: VerifierOptions): Verifier {
  return createVerifierWith(webCrypto, options);
}

export interface AuthenticateOptions {
  /** Resolve with `undefined` for a request without any credentials. Bad tokens still fail. */
  optional?: boolean;
  /**
   * Called with every error before its response is made: log `error.reason` here, never send it.
   * Here it also sees the 503 (`KeysUnavailableError`), which no app error handler would see.
   */
  onRefusal?: (error: GuardError, request: Request) => void;
}

export interface WebGuardOptions extends GuardOptions {
  /** Called with the refusal before its response is made: log `error.reason` here. */
  onRefusal?: (error: AccessTokenError) => void;
}

export function authenticate(
  verifierOrOptions: Verifier | VerifierOptions,
  options?: AuthenticateOptions & { optional?: false },
): (request: Request) => Promise<AuthResult | Response>;
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions): (request: Request) => Promise<AuthResult | Response | undefined>;
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}) {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  return async (request: Request): Promise<AuthResult | Response | undefined> => {
    try {
      // The body is never read: a token in a form body (`tokenLocations: ['body']`) is not supported here.
      return await verifier.verifyRequest({ method: request.method, url: request.url, headers: request.headers });
    } catch (error) {
      if (options.optional && error instanceof AccessTokenError && error.code === 'missing_credentials') return undefined;
      if (!(error instanceof GuardError)) throw error;
      options.onRefusal?.(error, request);
      return errorResponse(error);
    }
  };
}

export function requireScopes(scopes: string | string[], options?: WebGuardOptions): (auth: AuthResult | undefined) => Response | undefined {
  return guardFunction(scopeGuard(scopes, options), options?.onRefusal);
}

export function requirePermissions(permissions: string | string[], options?: WebGuardOptions): (auth: AuthResult | undefined) => Response | undefined {
  return guardFunction(permissionGuard(permissions, options), options?.onRefusal);
}

function guardFunction(guard: Guard, onRefusal: WebGuardOptions['onRefusal']): (auth: AuthResult | undefined) => Response | undefined {
  return (auth) => {
    const error = guard(auth);
    if (!error) return undefined;
    onRefusal?.(error);
    return errorResponse(error);
  };
}

/** The response for any of our errors: its status, its headers, `{ error, error_description }`. */
export function errorResponse(error: GuardError): Response {
  return new Response(JSON.stringify(error.body), {
    status: error.status,
    headers: { ...error.headers, 'Content-Type': 'application/json' },
  });
}

function isVerifier(value: Verifier | VerifierOptions): value is Verifier {
  return typeof (value as Verifier).verifyRequest === 'function';
}

export type { Verifier, VerifierOptions } from '../src/verifier.js';
export type { AuthResult } from '../src/types.js';
export type { GuardOptions, Match } from '../src/guards.js';
export { AccessTokenError, KeysUnavailableError, GuardError, isGuardError } from '../src/errors.js';
