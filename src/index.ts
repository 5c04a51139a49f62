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
export { DEFAULT_DPOP_ALGORITHMS } from './binding/index.js';
export type { BindingOptions } from './binding/index.js';
export type { MtlsOptions } from './binding/mtls.js';
export type { DpopOptions } from './binding/dpop.js';
export type { DpopNonceOption, DpopNonceSecret, DpopNonceSource } from './binding/dpop-nonce.js';
export { MemoryReplayStore, ReplayStoreUnavailableError, type MemoryReplayStoreOptions, type ProofIdentity, type ReplayStore } from './binding/replay-store.js';
export { RedisReplayStore, type RedisReplayStoreOptions, type RedisSetClient } from './binding/redis-replay-store.js';
export { keyThumbprint, type ThumbprintInput } from './jwe/thumbprint.js';
