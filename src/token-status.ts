/**
 * The token-status step: is the token still active? Two sources, both optional.
 *
 * - `isRevoked(auth)`: the application's own deny-list, asked about every locally verified JWT.
 *   Part of every verifier: it is a few lines.
 * - Introspection (RFC 7662, src/introspection): an opaque token (anything not shaped like a JWT)
 *   is sent to the issuer's introspection endpoint instead of being verified locally; its active
 *   answer becomes the same `VerifiedToken` a JWT yields, and goes through the same time and
 *   binding steps. With `mode: 'all'`, a JWT is verified locally and then introspected too
 *   (`confirm`), so a revoked one is refused within the cache's `maxAge`. An optional step
 *   (optional-steps.ts): the entry point hands the verifier the introspector, or it has none.
 *
 * Every failure to learn the answer is our 503 (`TokenStatusUnavailableError`), unless
 * `failOpen` says otherwise (see its TSDoc in src/options.ts).
 */
import type { CryptoBackend } from './crypto/types.js';
import { invalidToken } from './errors.js';
import { TokenStatusUnavailableError } from './introspection/errors.js';
import type { IssuerPipeline } from './issuers.js';
import { missingStep, type OptionalSteps } from './optional-steps.js';
import type { VerifierOptions } from './options.js';
import type { VerifiedToken } from './result-cache.js';
import type { AuthResult } from './types.js';

export interface TokenStatusStep {
  /** True for a token that is introspected instead of verified locally (not shaped like a JWT). */
  introspects(token: string): boolean;
  /** The introspected token as the pipeline's `VerifiedToken`; throws or rejects with a `GuardError`. */
  introspect(token: string): VerifiedToken | Promise<VerifiedToken>;
  /** A locally verified token's status: `isRevoked`, then introspection with `mode: 'all'`. */
  confirm(auth: AuthResult, token: string): AuthResult | Promise<AuthResult>;
}

/** What the step needs from the verifier that owns it. */
export interface TokenStatusContext {
  backend: CryptoBackend;
  /**
   * The issuer's pipeline (single-issuer form): its claim checks hold an answer to the rules of
   * its JWTs, and its signature step checks signed answers with its keys.
   */
  issuer: IssuerPipeline | undefined;
}

/**
 * Validates the options once (TypeError on misuse); undefined when neither source is configured.
 * `introspector` is the optional step that introspects (src/introspection).
 */
export function createTokenStatusStep(options: VerifierOptions, context: TokenStatusContext, introspector: OptionalSteps['introspection']): TokenStatusStep | undefined {
  const { introspection, isRevoked } = options;
  if (isRevoked !== undefined && typeof isRevoked !== 'function') throw new TypeError('`isRevoked` must be a function');
  if (introspection === undefined && isRevoked === undefined) return undefined;
  if (introspection !== undefined && context.issuer === undefined) {
    throw new TypeError('`introspection` needs the single-issuer form (top-level `issuer`): an opaque token names no issuer to pick among `issuers`');
  }
  if (introspection !== undefined && introspector === undefined) throw missingStep('introspection', 'introspection');
  const introspect = introspection === undefined ? undefined : introspector!(introspection, context.issuer as IssuerPipeline, options.dialect, context.backend);
  const checkRevoked = isRevoked === undefined ? undefined : revocationCheck(isRevoked);
  const introspectsJwts = introspection?.mode === 'all';

  return {
    introspects: (token) => introspect !== undefined && !looksLikeJwt(token),
    introspect: (token) => (introspect as Introspector).introspect(token),
    confirm(auth, token) {
      const confirmed = checkRevoked === undefined ? auth : checkRevoked(auth);
      if (!introspectsJwts) return confirmed;
      return confirmed instanceof Promise ? confirmed.then((result) => introspect!.confirm(result, token)) : introspect!.confirm(confirmed, token);
    },
  };
}

/** What the introspection step gives the token-status step. */
export interface Introspector {
  /** An opaque token, introspected: the verified token, or a refusal / our 503. */
  introspect(token: string): VerifiedToken | Promise<VerifiedToken>;
  /** A JWT verified locally, confirmed still active (`mode: 'all'`). */
  confirm(auth: AuthResult, token: string): AuthResult | Promise<AuthResult>;
}

/**
 * A JWS (three segments) or JWE (five) whose header is a JSON object: every JOSE header starts
 * with `{`, which base64url-encodes to `ey`. Anything else is an opaque token.
 */
export function looksLikeJwt(token: string): boolean {
  if (!token.startsWith('ey')) return false;
  let dots = 0;
  for (let index = token.indexOf('.'); index !== -1; index = token.indexOf('.', index + 1)) dots++;
  return dots === 2 || dots === 4;
}

/** `isRevoked` asked about a verified result: `false` passes, `true` refuses, anything else is our 503. */
function revocationCheck(isRevoked: (auth: AuthResult) => boolean | Promise<boolean>): (auth: AuthResult) => AuthResult | Promise<AuthResult> {
  const judge = (auth: AuthResult, revoked: unknown): AuthResult => {
    if (revoked === false) return auth;
    if (revoked === true) throw invalidToken('The access token was revoked.', 'isRevoked returned true');
    throw new TokenStatusUnavailableError(`isRevoked returned ${typeof revoked}, not a boolean`, 1);
  };
  const failed = (error: unknown) => new TokenStatusUnavailableError(`isRevoked failed: ${error instanceof Error ? error.message : String(error)}`, 1, { cause: error });
  return (auth) => {
    let answer: unknown;
    try {
      answer = isRevoked(auth);
    } catch (error) {
      throw failed(error);
    }
    if (typeof (answer as Promise<unknown> | undefined)?.then !== 'function') return judge(auth, answer);
    return Promise.resolve(answer).then(
      (revoked) => judge(auth, revoked),
      (error: unknown) => {
        throw failed(error);
      },
    );
  };
}
