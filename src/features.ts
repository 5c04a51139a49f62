/**
 * The optional steps, as values an application passes to `createVerifier` of the Fetch-API entry
 * (`createVerifier(options, encryptedTokens, boundTokens)`): importing one is what puts its code
 * in a bundle. The Node entry wires all three itself.
 */
import { createSenderConstraintStep } from './binding/index.js';
import { createDecryptStep } from './jwe/decrypt.js';
import type { OptionalSteps } from './optional-steps.js';
import { ResultCache, type ResultCacheOptions } from './result-cache.js';

/** Encrypted (compact nested JWE) access tokens: the `decryptionKeys` option. */
export const encryptedTokens: OptionalSteps = { decrypt: createDecryptStep };

/** Sender-constrained tokens: the `mtls` and `dpop` options. */
export const boundTokens: OptionalSteps = { senderConstraint: createSenderConstraintStep };

const createResultCache = (options: ResultCacheOptions) => new ResultCache(options);

/** The cache of verified results: the `resultCache` option. */
export const cachedResults: OptionalSteps = { resultCache: createResultCache };

/** Every optional step: what the Node entry point wires. (Literals only, so a bundler can drop them.) */
export const EVERY_STEP: OptionalSteps = { decrypt: createDecryptStep, senderConstraint: createSenderConstraintStep, resultCache: createResultCache };
