/**
 * The optional steps, as values an application passes to `createVerifier` of the Fetch-API entry
 * (`createVerifier(options, encryptedTokens, boundTokens)`): importing one is what puts its code
 * in a bundle. The Node entry wires them all itself.
 */
import { createSenderConstraintStep } from './binding/index.js';
import { createIntrospector } from './introspection/index.js';
import { createIssuerDirectoryStep } from './issuer-directory.js';
import { createDecryptStep } from './jwe/decrypt.js';
import { pemToJwk } from './keys/static.js';
import type { OptionalSteps } from './optional-steps.js';
import { createResourceMetadata } from './resource-metadata.js';
import { ResultCache, type ResultCacheOptions } from './result-cache.js';

/** Encrypted (compact nested JWE) access tokens: the `decryptionKeys` option. */
export const encryptedTokens: OptionalSteps = { decrypt: createDecryptStep };

/** Sender-constrained tokens: the `mtls` and `dpop` options. */
export const boundTokens: OptionalSteps = { senderConstraint: createSenderConstraintStep };

const createResultCache = (options: ResultCacheOptions) => new ResultCache(options);

/** The cache of verified results: the `resultCache` option. */
export const cachedResults: OptionalSteps = { resultCache: createResultCache };

/** Opaque tokens introspected at the issuer (RFC 7662): the `introspection` option. */
export const introspectedTokens: OptionalSteps = { introspection: createIntrospector };

/** Several issuers, picked by the token's `iss`: the `issuers` option. */
export const severalIssuers: OptionalSteps = { issuerDirectory: createIssuerDirectoryStep };

/** The RFC 9728 Protected Resource Metadata document and its challenge link: the `resourceMetadata` option. */
export const protectedResourceMetadata: OptionalSteps = { resourceMetadata: createResourceMetadata };

/** PEM public keys and certificates in the `keys` option (JWKs and KeyObjects need no step). */
export const pemKeys: OptionalSteps = { pemKeys: pemToJwk };

/** Every optional step: what the Node entry point wires. (Literals only, so a bundler can drop them.) */
export const EVERY_STEP: OptionalSteps = {
  decrypt: createDecryptStep,
  senderConstraint: createSenderConstraintStep,
  resultCache: createResultCache,
  introspection: createIntrospector,
  issuerDirectory: createIssuerDirectoryStep,
  resourceMetadata: createResourceMetadata,
  pemKeys: pemToJwk,
};
