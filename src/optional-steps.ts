/**
 * The optional steps of the pipeline — decryption (JWE), the sender constraint (mTLS, DPoP), the
 * cache of verified results, token introspection, several issuers, the RFC 9728 document and PEM
 * keys — are handed to the verifier by its entry point rather than imported by it, so that an
 * application that does not use one does not ship it: the Node entry wires them all, the
 * Fetch-API entry (`/web`, sized for edge bundles) none unless asked (features.ts). Without its
 * step, an option that needs it is a TypeError at creation, and the verifier still refuses what
 * it cannot check: an encrypted token, a sender-constrained token, an opaque token.
 */
import type { BindingOptions, SenderConstraintStep } from './binding/index.js';
import type { CryptoBackend } from './crypto/types.js';
import { invalidToken } from './errors.js';
import type { IssuerDirectoryFactory, IssuerPipeline } from './issuers.js';
import { isCompactJwe } from './jwe/compact.js';
import type { DecryptionOptions, DecryptStep } from './jwe/decrypt.js';
import type { PemImporter } from './keys/static.js';
import type { ResourceMetadata, ResourceMetadataDefaults } from './resource-metadata.js';
import type { ResultCacheOptions, VerifiedToken } from './result-cache.js';
import type { IntrospectionOptions, VerifierOptions } from './options.js';
import type { Introspector } from './token-status.js';

export interface ResultCacheLike {
  get(token: string): VerifiedToken | undefined;
  set(token: string, verified: VerifiedToken): void;
}

/** The implementations an entry point hands `createVerifierWith`; any may be left out. */
export interface OptionalSteps {
  /** Compact nested JWE: `decryptionKeys`, `requireEncryption`. */
  decrypt?: (options: DecryptionOptions & { maxTokenLength?: number }) => DecryptStep;
  /** Certificate-bound (mTLS) and DPoP-bound tokens: `mtls`, `dpop`. */
  senderConstraint?: (options: BindingOptions, backend: CryptoBackend) => SenderConstraintStep;
  /** The cache of verified results: `resultCache`. */
  resultCache?: (options: ResultCacheOptions) => ResultCacheLike;
  /** RFC 7662 introspection of opaque tokens (and of every token with `mode: 'all'`): `introspection`. */
  introspection?: (options: IntrospectionOptions, issuer: IssuerPipeline, dialect: VerifierOptions['dialect'], backend: CryptoBackend) => Introspector;
  /** Several issuers, picked by the token's `iss`: `issuers`. */
  issuerDirectory?: IssuerDirectoryFactory;
  /** The RFC 9728 Protected Resource Metadata document: `resourceMetadata`. */
  resourceMetadata?: (options: VerifierOptions, defaults: ResourceMetadataDefaults) => ResourceMetadata | undefined;
  /** PEM public keys and certificates in `keys` (JWKs and KeyObjects need no step). */
  pemKeys?: PemImporter;
}

/** Where a `/web` user finds each step, for the TypeError. */
const STEP_EXPORTS: Record<keyof OptionalSteps, string> = {
  decrypt: 'encryptedTokens',
  senderConstraint: 'boundTokens',
  resultCache: 'cachedResults',
  introspection: 'introspectedTokens',
  issuerDirectory: 'severalIssuers',
  resourceMetadata: 'protectedResourceMetadata',
  pemKeys: 'pemKeys',
};

/** The TypeError for an option set on a verifier created without the step it needs. */
export function missingStep(option: string, step: keyof OptionalSteps, what = `\`${option}\` is set`): TypeError {
  return new TypeError(
    `${what} but this verifier was created without the step it needs: pass \`${STEP_EXPORTS[step]}\` ` +
      `(exported by access-token-guard/web and /hono) to createVerifier, e.g. createVerifier(options, ${STEP_EXPORTS[step]})`,
  );
}

const INVALID = 'The access token is invalid.';

/** A verifier that does not decrypt: a plain JWS goes on, an encrypted token is refused. */
export function plainTokensOnly(options: DecryptionOptions): DecryptStep {
  if (options.decryptionKeys !== undefined) throw missingStep('decryptionKeys', 'decrypt');
  if (options.requireEncryption) throw missingStep('requireEncryption', 'decrypt');
  return (token) => {
    if (isCompactJwe(token)) throw invalidToken(INVALID, 'the token is encrypted (JWE) and this verifier does not decrypt: set `decryptionKeys`');
    return token;
  };
}

/**
 * A verifier that checks no binding: every token is a bearer token, and one bound to a key or a
 * certificate (`cnf`) is refused, since accepting it would ignore the binding. The DPoP scheme
 * never gets here: without `dpop` only Bearer credentials are read.
 */
export function bearerTokensOnly(options: BindingOptions): SenderConstraintStep {
  if (options.mtls !== undefined) throw missingStep('mtls', 'senderConstraint');
  if (options.dpop !== undefined) throw missingStep('dpop', 'senderConstraint');
  return (claims) => {
    if (claims.cnf !== undefined) throw invalidToken(INVALID, 'the token is sender-constrained (cnf) and this verifier has no mtls or dpop option to check it');
    return 'bearer';
  };
}

export function noResultCache(options: ResultCacheOptions | undefined): undefined {
  if (options !== undefined) throw missingStep('resultCache', 'resultCache');
  return undefined;
}

export function noResourceMetadata(): never {
  throw missingStep('resourceMetadata', 'resourceMetadata');
}
