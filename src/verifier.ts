/**
 * `createVerifier`: validates the options once, then wires the pipeline of docs/architecture.md:
 * credentials ─► decrypt ─► [issuer] signature ─► claims ─► dialect ─► sender constraint ─► AuthResult.
 * The issuer's part (src/issuers.ts) is one pipeline for a single issuer, or, with `issuers`,
 * the one the token's unverified `iss` selects. The crypto backend is chosen by the entry point
 * (Node in `src/index.ts`, WebCrypto in the web adapter), never here.
 */
import type { BindingRequest } from './binding/index.js';
import { DEFAULT_DPOP_ALGORITHMS } from './binding/dpop-algorithms.js';
import { checkTimes, nowInSeconds, type TimeRules } from './claims.js';
import { extractCredentials, type CredentialRules, type TokenLocation } from './credentials.js';
import type { CryptoBackend } from './crypto/types.js';
import { bearerTokensOnly, noResultCache, plainTokensOnly, type OptionalSteps } from './optional-steps.js';
import { ISSUER_OPTION_NAMES, refuseUnknownOptions, type ResultCacheOptions, type VerifierOptions } from './options.js';
import { AccessTokenError, GuardError, invalidToken, type AuthScheme, type ChallengeOptions } from './errors.js';
import { AuthResult as Result, type ResultContext } from './auth-result.js';
import { createResourceMetadata, resourceMetadataDefaults, type ResourceMetadata } from './resource-metadata.js';
import { accepted, failed, type Anonymous, type AuthenticateOptions, type Outcome } from './outcome.js';
import { createIssuerStep, namingIssuer } from './issuers.js';
import type { KeyCacheSnapshot } from './keys/seed.js';
import { createTokenStatusStep } from './introspection/index.js';
import type { VerifiedToken } from './result-cache.js';
import type { AuthResult, RequestLike, VerifyContext } from './types.js';

export type { VerifierOptions } from './options.js';

export interface Verifier {
  /** Verifies a token; resolves with the result or rejects with a `GuardError`. */
  verify(token: string, context?: VerifyContext): Promise<AuthResult>;
  /** Extracts the credentials from a request, then verifies them. */
  verifyRequest(request: RequestLike): Promise<AuthResult>;
  /**
   * The host seam: the outcome for a request — accepted, anonymous (with `optional`, and no
   * credentials), refused (4xx) or unavailable (503), the last two with the response to send.
   * Synchronous whenever nothing has to be awaited (on Node with the key in memory, every
   * request), so a host can go on in the same tick; a promise otherwise. Never throws for a
   * bad request or an outage: those are outcomes.
   */
  authenticate(request: RequestLike, options?: AuthenticateOptions): Outcome | Promise<Outcome>;
  /**
   * Fetches ahead what the first request would otherwise wait for — the issuer's metadata (when
   * discovering) and the key set — unless a fresh copy is cached (or seeded). Rejects with our
   * 503 error, whose `reason` says precisely what failed and what to set. Resolves at once for a
   * verifier with static keys or a secret, and (for now) for one with `issuers`.
   */
  ready(): Promise<void>;
  /**
   * The key cache as JSON-safe data, to persist and give the next instance as `jwks.seed`, so
   * it answers its first request without fetching. Undefined before the keys were first fetched,
   * for a verifier with static keys or a secret, and (for now) for one with `issuers`.
   */
  exportKeys(): KeyCacheSnapshot | undefined;
  /** The challenge settings errors of this verifier are rendered with. */
  readonly challenge: ChallengeOptions;
  /** The Protected Resource Metadata this verifier serves (RFC 9728), when `resourceMetadata` is set. */
  readonly resourceMetadata?: ResourceMetadata;
}

/** True for a verifier (anything with the `authenticate` seam), false for options. */
export function isVerifier(value: unknown): value is Verifier {
  return typeof value === 'object' && value !== null && typeof (value as Verifier).authenticate === 'function';
}

/**
 * A verifier on `backend` with the optional steps the entry point hands it (optional-steps.ts):
 * without one, the option that needs it is a TypeError and what it would check is refused.
 */
export function createVerifierWith(backend: CryptoBackend, options: VerifierOptions, steps: OptionalSteps = {}): Verifier {
  const config = validateOptions(options);
  const verifyIssued = createIssuerStep(backend, options);
  const severalIssuers = options.issuers !== undefined;
  const decrypt = (steps.decrypt ?? plainTokensOnly)(options);
  const bindSender = steps.senderConstraint ? steps.senderConstraint(options, backend) : bearerTokensOnly(options);
  const cache = config.resultCache ? (steps.resultCache ?? noResultCache)(config.resultCache) : undefined;
  const { claimRules, credentialRules } = config;
  // After the issuers' own checks, so a bad `issuer` or `audience` is reported as such.
  const derived = resourceMetadataDefaults(options, config.credentialRules.locations, config.challenge.dpopAlgorithms);
  const resourceMetadata = createResourceMetadata(options, derived);
  const challenge: ChallengeOptions = resourceMetadata ? Object.freeze({ ...config.challenge, resourceMetadata: resourceMetadata.url }) : config.challenge;
  // What a result says its resource is (the MCP SDK's AuthInfo.resource).
  const context: ResultContext = Object.freeze({ challenge, resource: resourceMetadata?.resource, audiences: derived.audiences ?? [] });
  // Token status (src/introspection): opaque tokens introspected, `isRevoked`; undefined when unused.
  const tokenStatus = createTokenStatusStep(options, { backend, issuer: verifyIssued.single });

  /**
   * Everything that holds for the token whatever the time or the caller. Synchronous (no promise,
   * no microtask) whenever nothing has to be awaited — on Node with the key in memory, every
   * request — since each await costs about as much as a claim check (bench/RESULTS.md).
   */
  function verifyToken(token: string, request: BindingRequest): VerifiedToken | Promise<VerifiedToken> {
    const decrypted = decrypt(token);
    return typeof decrypted === 'string' ? verifyIssued(token, decrypted, request) : decrypted.then((jws) => verifyIssued(token, jws, request));
  }

  /**
   * Everything after the credentials, synchronously whenever nothing has to be awaited: it
   * returns the result or throws a `GuardError`, and only a JWE, a key still being fetched or a
   * DPoP proof makes it return a promise. `request` is read only by the sender-constraint step,
   * for a bound token or the DPoP scheme (see `BindingRequest`), and by an issuer resolver.
   */
  function verifyNow(token: string, scheme: AuthScheme, dpopProof: string | undefined, request: BindingRequest): AuthResult | Promise<AuthResult> {
    try {
      // The bound holds for every caller of verify(), not only for tokens taken from a request.
      if (typeof token !== 'string') throw invalidToken('The access token is invalid.', 'the token is not a string');
      if (token.length > credentialRules.maxTokenLength) {
        throw invalidToken('The access token is invalid.', `the token is ${token.length} characters, over maxTokenLength ${credentialRules.maxTokenLength}`);
      }
      const cached = cache?.get(token);
      if (cached !== undefined) {
        // A cached result skips only what cannot change; the clock and the caller still count.
        checkTimesOf(cached);
        return bind(cached, scheme, token, dpopProof, request);
      }
      // Token status hook: an opaque token is introspected instead of verified locally; either way
      // the same VerifiedToken goes through the same time and binding steps below.
      const pending = tokenStatus?.introspects(token) ? tokenStatus.introspect(token) : verifyToken(token, request);
      if (pending instanceof Promise) {
        return pending.then((verified) => accept(verified, scheme, token, dpopProof, request)).catch((error: unknown) => {
          throw finish(error, scheme, challenge);
        });
      }
      return accept(pending, scheme, token, dpopProof, request);
    } catch (error) {
      throw finish(error, scheme, challenge);
    }
  }

  /** The clock, on every request; with several issuers a refusal names the token's. */
  function checkTimesOf(verified: VerifiedToken): void {
    if (!severalIssuers) return checkTimes(verified.claims, claimRules, nowInSeconds());
    try {
      checkTimes(verified.claims, claimRules, nowInSeconds());
    } catch (error) {
      throw namingIssuer(error, verified.issuer);
    }
  }

  /** A freshly verified token: the clock, then the cache, then the caller. */
  function accept(verified: VerifiedToken, scheme: AuthScheme, token: string, dpopProof: string | undefined, request: BindingRequest) {
    checkTimesOf(verified);
    // An introspected answer has its own, shorter-lived cache (revocation must show through).
    if (!tokenStatus?.introspects(token)) cache?.set(token, verified);
    return bind(verified, scheme, token, dpopProof, request);
  }

  function bind(verified: VerifiedToken, scheme: AuthScheme, token: string, dpopProof: string | undefined, request: BindingRequest): AuthResult | Promise<AuthResult> {
    const bound = bindSender(verified.claims, scheme, token, dpopProof, request);
    if (typeof bound === 'string') return confirmStatus(new Result(verified, bound, context), token, scheme);
    return bound
      .then((binding) => confirmStatus(new Result(verified, binding, context), token, scheme))
      .catch((error: unknown) => {
        throw finish(error, scheme, challenge);
      });
  }

  /** Token status hook, last: `isRevoked`, and introspection of a JWT with `introspection.mode: 'all'`. */
  function confirmStatus(auth: AuthResult, token: string, scheme: AuthScheme): AuthResult | Promise<AuthResult> {
    if (tokenStatus === undefined || tokenStatus.introspects(token)) return auth;
    const confirmed = tokenStatus.confirm(auth, token);
    return confirmed instanceof Promise ? confirmed.catch((error: unknown) => Promise.reject(finish(error, scheme, challenge))) : confirmed;
  }

  function verifyRequestNow(request: RequestLike): AuthResult | Promise<AuthResult> {
    let credentials;
    try {
      credentials = extractCredentials(request, credentialRules);
    } catch (error) {
      throw finish(error, undefined, challenge);
    }
    return verifyNow(credentials.token, credentials.scheme, credentials.dpopProof, request);
  }

  function verify(token: string, context: VerifyContext = {}): Promise<AuthResult> {
    const given: VerifyContext = context ?? {};
    return settled(() => verifyNow(token, given.scheme ?? 'Bearer', given.dpopProof, given));
  }

  function verifyRequest(request: RequestLike): Promise<AuthResult> {
    return settled(() => verifyRequestNow(request));
  }

  const anonymous: Anonymous = Object.freeze({ kind: 'anonymous', challenge });

  function authenticate(request: RequestLike, options?: AuthenticateOptions): Outcome | Promise<Outcome> {
    // The document is public: served before, and whatever, the credentials.
    const answered = resourceMetadata?.answer(request);
    if (answered !== undefined) return answered;
    const optional = options?.optional === true;
    const decide = (error: unknown): Outcome =>
      optional && error instanceof AccessTokenError && error.code === 'missing_credentials' ? anonymous : failed(error);
    let result: AuthResult | Promise<AuthResult>;
    try {
      result = verifyRequestNow(request);
    } catch (error) {
      return decide(error);
    }
    return result instanceof Promise ? result.then(accepted, decide) : accepted(result);
  }

  async function ready(): Promise<void> {
    await verifyIssued.single?.remote?.ready();
  }

  function exportKeys(): KeyCacheSnapshot | undefined {
    const snapshot = verifyIssued.single?.remote?.snapshot();
    return snapshot === undefined ? undefined : { version: 1, issuer: options.issuer as string, ...snapshot };
  }

  return { verify, verifyRequest, authenticate, ready, exportKeys, challenge, resourceMetadata };
}

/** The promise of an outcome that may be immediate, thrown, or itself a promise. */
function settled<T>(attempt: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(attempt());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Every failure leaves as a `GuardError`. Anything else escaping the pipeline is a bug of ours
 * tripped by this token; it is still the token that is refused, never a 500.
 */
function finish(error: unknown, scheme: AuthScheme | undefined, challenge: ChallengeOptions): GuardError {
  if (error instanceof AccessTokenError) return error.challenge === challenge && (error.scheme ?? scheme) === error.scheme ? error : error.withContext(challenge, scheme);
  if (error instanceof GuardError) return error;
  return invalidToken('The access token is invalid.', `unexpected error while verifying: ${(error as Error)?.message ?? String(error)}`, { cause: error, scheme, challenge });
}

interface Config {
  claimRules: TimeRules;
  credentialRules: CredentialRules;
  challenge: ChallengeOptions;
  resultCache: ResultCacheOptions | undefined;
}

/**
 * Misconfiguration is a `TypeError` at startup, never a surprise on the first request. The
 * options shared by every issuer are checked here; each issuer's, by its pipeline.
 */
function validateOptions(options: VerifierOptions): Config {
  if (options === null || typeof options !== 'object') throw new TypeError('createVerifier needs an options object');
  refuseUnknownOptions(options);
  if (options.issuers !== undefined) {
    const misplaced = ISSUER_OPTION_NAMES.filter((name) => name !== 'jwks' && (options as Record<string, unknown>)[name] !== undefined);
    if (misplaced.length > 0) {
      throw new TypeError(`\`${misplaced.join('`, `')}\` describe one issuer: with \`issuers\`, set them in each entry of \`issuers\` instead`);
    }
  } else if (options.issuerCache !== undefined) {
    throw new TypeError('`issuerCache` bounds the answers of an `issuers` resolver, and `issuers` is not set');
  }

  const clockTolerance = options.clockTolerance ?? 0;
  if (!(Number.isFinite(clockTolerance) && clockTolerance >= 0)) throw new TypeError('`clockTolerance` must be a number of seconds >= 0');
  if (options.maxTokenAge !== undefined && !(Number.isFinite(options.maxTokenAge) && options.maxTokenAge > 0)) {
    throw new TypeError('`maxTokenAge` must be a number of seconds > 0');
  }
  const locations = new Set<TokenLocation>(options.tokenLocations ?? ['header']);
  for (const location of locations) {
    if (!['header', 'query', 'body'].includes(location)) throw new TypeError(`unknown token location ${JSON.stringify(location)}`);
  }

  const schemes: AuthScheme[] = options.dpop ? (options.dpop.required ? ['DPoP'] : ['Bearer', 'DPoP']) : ['Bearer'];
  const challenge: ChallengeOptions = Object.freeze({
    realm: options.realm,
    schemes,
    dpopAlgorithms: options.dpop ? (options.dpop.algorithms ?? DEFAULT_DPOP_ALGORITHMS) : undefined,
  });
  const resultCache = options.resultCache === true ? {} : options.resultCache || undefined;

  return {
    claimRules: { clockTolerance, maxTokenAge: options.maxTokenAge },
    credentialRules: { locations, schemes, maxTokenLength: options.maxTokenLength ?? 16384 },
    challenge,
    resultCache,
  };
}
