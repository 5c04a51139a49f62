/**
 * Any runtime with the Fetch API (Node 20+, Cloudflare Workers, Vercel and Netlify functions,
 * Deno, Bun): `authenticate(options)` gives a function of a `Request` that resolves with the
 * verified token, or with a ready `Response` (status, `WWW-Authenticate`, JSON body) when the
 * request is refused, and when keys cannot be had (503, `Retry-After`) — or, with
 * `resourceMetadata` set, the 200 Protected Resource Metadata document for a request for it.
 * Guards work on the result.
 * Translation only: the core decides (`verifier.authenticate`).
 *
 * No Node built-in may reach this entry point: it wires the WebCrypto backend itself and never
 * imports `src/index.ts` (which wires `node:crypto`). A test greps the build and runs it in workerd.
 */
import { webCrypto } from '../src/crypto/web.js';
import type { AccessTokenError, ErrorResponse, GuardError } from '../src/errors.js';
import type { Guard, GuardOptions } from '../src/guards.js';
import { createGuardFactories } from '../src/host.js';
import type { OptionalSteps } from '../src/optional-steps.js';
import type { Outcome } from '../src/outcome.js';
import type { AuthResult } from '../src/types.js';
import { createVerifierWith, isVerifier, type Verifier, type VerifierOptions } from '../src/verifier.js';

/**
 * A verifier on WebCrypto. One issuer, bearer JWTs, keys fetched or given as JWKs, unless given
 * the optional steps its options use — `encryptedTokens` (`decryptionKeys`), `boundTokens`
 * (`mtls`, `dpop`), `cachedResults` (`resultCache`), `introspectedTokens` (`introspection`),
 * `severalIssuers` (`issuers`), `protectedResourceMetadata` (`resourceMetadata`), `pemKeys` (PEM
 * strings in `keys`) — so an edge bundle carries only the code it configures. An option without
 * its step is a TypeError here.
 */
export function createVerifier(options: VerifierOptions, ...steps: OptionalSteps[]): Verifier {
  return createVerifierWith(webCrypto, options, Object.assign({}, ...steps) as OptionalSteps);
}

export interface AuthenticateOptions {
  /** Resolve with `undefined` for a request without any credentials. Bad tokens still fail. */
  optional?: boolean;
  /**
   * Called with every error before its response is made: log `error.reason` here, never send it.
   * It also sees the 503 (`KeysUnavailableError`).
   */
  onRefusal?: (error: GuardError, request: Request) => void;
}

export interface WebGuardExtra {
  /** Called with the refusal before its response is made: log `error.reason` here. */
  onRefusal?: (error: AccessTokenError) => void;
}

export type WebGuardOptions = GuardOptions & WebGuardExtra;

export function authenticate(
  verifierOrOptions: Verifier | VerifierOptions,
  options?: AuthenticateOptions & { optional?: false },
): (request: Request) => Promise<AuthResult | Response>;
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions): (request: Request) => Promise<AuthResult | Response | undefined>;
export function authenticate(verifierOrOptions: Verifier | VerifierOptions, options: AuthenticateOptions = {}) {
  const verifier = isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
  const modes = { optional: options.optional === true };
  return async (request: Request): Promise<AuthResult | Response | undefined> => {
    // The body is never read: a token in a form body (`tokenLocations: ['body']`) is not supported here.
    const outcome: Outcome = await verifier.authenticate({ method: request.method, url: request.url, headers: request.headers }, modes);
    if (outcome.kind === 'accepted') return outcome.auth;
    if (outcome.kind === 'anonymous') return undefined;
    // A document the verifier serves itself (RFC 9728 metadata): no refusal, nothing to report.
    if (outcome.kind === 'answered') return toResponse(outcome.response);
    options.onRefusal?.(outcome.error, request);
    return toResponse(outcome.response);
  };
}

/** A guard as a function of the result: the refusal's `Response`, or `undefined` to go on. */
export type WebGuard = (auth: AuthResult | undefined) => Response | undefined;

function guardFunction(guard: Guard, options: WebGuardExtra | undefined): WebGuard {
  return (auth) => {
    const refusal = guard(auth);
    if (!refusal) return undefined;
    options?.onRefusal?.(refusal.error);
    return toResponse(refusal.response);
  };
}

export const { requireScopes, requirePermissions, requireClaim, requireAuthLevel } = createGuardFactories<WebGuard, WebGuardExtra>(guardFunction);

/** A `Response` for a refusal, our 503, or a document the verifier answered. */
export function toResponse(response: ErrorResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/** The response for any of our errors: its status, its headers, `{ error, error_description }`. */
export function errorResponse(error: GuardError): Response {
  return toResponse(error.response);
}

export { boundTokens, cachedResults, encryptedTokens, introspectedTokens, pemKeys, protectedResourceMetadata, severalIssuers } from '../src/features.js';
export type { OptionalSteps } from '../src/optional-steps.js';
export type { Verifier, VerifierOptions } from '../src/verifier.js';
export type { KeyCacheSnapshot } from '../src/keys/seed.js';
export type { AuthResult } from '../src/types.js';
export type { ClaimMapping, IssuerCacheOptions, IssuerOptions, IssuerResolver, IssuerResolverRequest } from '../src/options.js';
export type { Accepted, Anonymous, Answered, AuthenticateOptions as CoreAuthenticateOptions, Outcome, Refused, Unavailable } from '../src/outcome.js';
export type { ErrorResponse } from '../src/errors.js';
export {
  authLevelGuard,
  checkAuthLevel,
  checkClaim,
  checkPermissions,
  checkScopes,
  claimGuard,
  permissionGuard,
  scopeGuard,
  type AuthLevelOptions,
  type ClaimPredicate,
  type ClaimRequirement,
  type ClaimsPredicate,
  type Guard,
  type GuardOptions,
  type Match,
} from '../src/guards.js';
export { createGuardFactories, createHostAuthenticator, createHostGuard, type GuardFactories, type HostAuthenticateOptions } from '../src/host.js';
export { isVerifier } from '../src/verifier.js';
export { AccessTokenError, ConfigurationError, KeysUnavailableError, GuardError, isGuardError } from '../src/errors.js';
export { REASON_CODES, isReasonCode, reasonHint, type ReasonCode } from '../src/reason-codes.js';
export type { VerifierHooks, VerifiedEvent, RefusedEvent, UnavailableEvent, KeysFetchedEvent, KeysFetchFailedEvent } from '../src/hooks.js';
export { TokenStatusUnavailableError } from '../src/introspection/errors.js';
