/** Public exports of the Node entry point. */
import { nodeCrypto } from './crypto/node.js';
import { EVERY_STEP } from './features.js';
import { createVerifierWith, isVerifier, type Verifier, type VerifierOptions } from './verifier.js';

/** Builds a verifier on Node's own crypto: synchronous signature checks over cached KeyObjects. */
export function createVerifier(options: VerifierOptions): Verifier {
  return createVerifierWith(nodeCrypto, options, EVERY_STEP);
}

/** The verifier given, or one built from the options given: what every adapter accepts. */
export function verifierFrom(verifierOrOptions: Verifier | VerifierOptions): Verifier {
  return isVerifier(verifierOrOptions) ? verifierOrOptions : createVerifier(verifierOrOptions);
}

export type { Verifier, VerifierOptions } from './verifier.js';
export type { KeyCacheSnapshot } from './keys/seed.js';
export { isVerifier } from './verifier.js';
export { AccessTokenError, ConfigurationError, GuardError, KeysUnavailableError, isGuardError } from './errors.js';
export type {
  FetchedDocument,
  KeysFetchedEvent,
  KeysFetchFailedEvent,
  RefusedEvent,
  UnavailableEvent,
  VerifiedEvent,
  VerifierHooks,
} from './hooks.js';
export { REASON_CODES, isReasonCode, reasonHint, type ReasonCode, type ReasonCodeInfo } from './reason-codes.js';
export { TokenStatusUnavailableError } from './introspection/errors.js';
export type { AuthScheme, ChallengeOptions, ErrorCode, ErrorResponse } from './errors.js';
export type { Accepted, Anonymous, Answered, AuthenticateOptions, Outcome, Refused, Unavailable } from './outcome.js';
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
} from './guards.js';
export type { ResourceMetadata } from './resource-metadata.js';
export { authResultOf, toAuthInfo, type McpAuthInfo } from './mcp.js';
export { createGuardFactories, createHostAuthenticator, createHostGuard, type GuardFactories, type HostAuthenticateOptions } from './host.js';
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
  VendorDialect,
  RequestLike,
  VerifyContext,
} from './types.js';
export { DEFAULT_DPOP_ALGORITHMS } from './binding/index.js';
export type { BindingOptions } from './binding/index.js';
export type { ClaimMapping, DpopOptions, IssuerCacheOptions, IssuerOptions, IssuerResolver, IssuerResolverRequest, MtlsOptions, ResourceMetadataOptions, ResultCacheOptions, SharedOptions } from './options.js';
export type { IntrospectionAuthMethod, IntrospectionCacheOptions, IntrospectionEvent, IntrospectionOptions } from './options.js';
export type { DpopNonceOption, DpopNonceSecret, DpopNonceSource } from './binding/dpop-nonce.js';
export { MemoryReplayStore, ReplayStoreUnavailableError, type MemoryReplayStoreOptions, type ProofIdentity, type ReplayStore } from './binding/replay-store.js';
export { RedisReplayStore, type RedisReplayStoreOptions, type RedisSetClient } from './binding/redis-replay-store.js';
export { keyThumbprint, type ThumbprintInput } from './jwe/thumbprint.js';
