/** Public exports of the Node entry point. */
import { nodeCrypto } from './crypto/node.js';
import { createVerifierWith, type Verifier, type VerifierOptions } from './verifier.js';

/** Builds a verifier on Node's own crypto: synchronous signature checks over cached KeyObjects. */
export function createVerifier(options: VerifierOptions): Verifier {
  return createVerifierWith(nodeCrypto, options);
}

export type { Verifier, VerifierOptions } from './verifier.js';
export { AccessTokenError, GuardError, KeysUnavailableError, isGuardError } from './errors.js';
export type { AuthScheme, ChallengeOptions, ErrorCode } from './errors.js';
export { checkClaim, checkPermissions, checkScopes, type GuardOptions, type Match } from './guards.js';
export type { ResultCacheOptions } from './result-cache.js';
export type {
  AuthResult,
  Binding,
  Dialect,
  JSONWebKeySet,
  JWK,
  JWTClaims,
  JWTHeader,
  JwksOptions,
  KeySource,
  MetDialect,
  RequestLike,
  VerifyContext,
} from './types.js';
