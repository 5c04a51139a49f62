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
import { bearerTokensOnly, noResourceMetadata, noResultCache, plainTokensOnly, type OptionalSteps } from './optional-steps.js';
import { ISSUER_OPTION_NAMES, refuseUnknownOptions, type ResultCacheOptions, type VerifierOptions } from './options.js';
import { AccessTokenError, GuardError, invalidToken, type AuthScheme, type ChallengeOptions } from './errors.js';
import { GUARD_REFUSED, guardedHooks, since, type VerifierHooks } from './hooks.js';
import { AuthResult as Result, type ResultContext } from './auth-result.js';
import { resourceMetadataDefaults, type ResourceMetadata } from './resource-metadata.js';
import { accepted, failed, type Anonymous, type AuthenticateOptions, type Outcome } from './outcome.js';
import { createIssuerStep, namingIssuer } from './issuers.js';
import type { KeyCacheSnapshot } from './keys/seed.js';
import { createTokenStatusStep } from './token-status.js';
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
   * Obtains what verification needs from the network now — discovery, the key set — and resolves
   * once tokens can be verified without waiting; rejects with the precise failure: a
   * `ConfigurationError` (an `issuer` that differs from the issuer's own by a trailing slash, a
   * key that fits no allowed algorithm) or our `KeysUnavailableError`. Call it at startup to fail
   * at boot rather than on the first request. Nothing requires it: without it, keys are fetched
   * on the first request. With an `issuers` resolver, issuers are only known per token.
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
  const hooks = guardedHooks(options.hooks);
  const issuers = createIssuerStep(backend, withIssuer(options, config.issuer), hooks, steps);
  const verifyIssued = issuers.verify;
  const severalIssuers = options.issuers !== undefined;
  const decrypt = (steps.decrypt ?? plainTokensOnly)(options);
  const bindSender = steps.senderConstraint ? steps.senderConstraint(options, backend) : bearerTokensOnly(options);
  const cache = config.resultCache ? (steps.resultCache ?? noResultCache)(config.resultCache) : undefined;
  const { claimRules, credentialRules } = config;
  // After the issuers' own checks, so a bad `issuer` or `audience` is reported as such.
  const derived = resourceMetadataDefaults(withIssuer(options, config.issuer), config.credentialRules.locations, config.challenge.dpopAlgorithms);
  const resourceMetadata = options.resourceMetadata === undefined ? undefined : (steps.resourceMetadata ?? noResourceMetadata)(options, derived);
  const challenge = withGuardReporter(resourceMetadata ? Object.freeze({ ...config.challenge, resourceMetadata: resourceMetadata.url }) : config.challenge, hooks.refused);
  // What a result says its resource is (the MCP SDK's AuthInfo.resource).
  const context: ResultContext = Object.freeze({ challenge, resource: resourceMetadata?.resource, audiences: derived.audiences ?? [] });
  const { verified: onVerified, refused: onRefused, unavailable: onUnavailable, resultCacheHit: onCacheHit, resultCacheMiss: onCacheMiss } = hooks;
  // The clock is read only for a hook that reports a duration.
  const timed = onVerified !== undefined || onRefused !== undefined || onUnavailable !== undefined;
  // Token status (src/introspection): opaque tokens introspected, `isRevoked`; undefined when unused.
  const tokenStatus = createTokenStatusStep(options, { backend, issuer: issuers.single }, steps.introspection);

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
      if (cache !== undefined) {
        if (cached !== undefined) onCacheHit?.();
        else onCacheMiss?.();
      }
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
    const started = timed ? performance.now() : 0;
    const result = settled(() => verifyNow(token, given.scheme ?? 'Bearer', given.dpopProof, given));
    return timed ? result.then((auth) => reportAccepted(auth, started), (error: unknown) => reportFailed(error, started)) : result;
  }

  function verifyRequest(request: RequestLike): Promise<AuthResult> {
    const started = timed ? performance.now() : 0;
    const result = settled(() => verifyRequestNow(request));
    return timed ? result.then((auth) => reportAccepted(auth, started), (error: unknown) => reportFailed(error, started)) : result;
  }

  const anonymous: Anonymous = Object.freeze({ kind: 'anonymous', challenge });

  function authenticate(request: RequestLike, options?: AuthenticateOptions): Outcome | Promise<Outcome> {
    // The document is public: served before, and whatever, the credentials.
    const answered = resourceMetadata?.answer(request);
    if (answered !== undefined) return answered;
    const optional = options?.optional === true;
    const started = timed ? performance.now() : 0;
    let result: AuthResult | Promise<AuthResult>;
    try {
      result = verifyRequestNow(request);
    } catch (error) {
      return decide(error, optional, started);
    }
    // Closures only on the asynchronous path: the usual synchronous one allocates nothing but the outcome.
    if (result instanceof Promise) {
      return result.then(
        (auth) => accepted(onVerified === undefined ? auth : reportAccepted(auth, started)),
        (error: unknown) => decide(error, optional, started),
      );
    }
    if (onVerified !== undefined) reportAccepted(result, started);
    return accepted(result);
  }

  /** The outcome of a failure: anonymous when optional and there were no credentials, else refused or unavailable. */
  function decide(error: unknown, optional: boolean, started: number): Outcome {
    if (optional && error instanceof AccessTokenError && error.code === 'missing_credentials') return anonymous;
    if (timed) report(error, started);
    return failed(error);
  }

  function reportAccepted(auth: AuthResult, started: number): AuthResult {
    onVerified?.({
      subject: auth.subject,
      clientId: auth.clientId,
      issuer: auth.claims.iss,
      dialect: auth.dialect,
      binding: auth.binding,
      durationMs: since(started),
    });
    return auth;
  }

  function reportFailed(error: unknown, started: number): never {
    report(error, started);
    throw error;
  }

  function report(error: unknown, started: number): void {
    if (error instanceof AccessTokenError) {
      onRefused?.({ error, code: error.code, reasonCode: error.reasonCode, status: error.status, durationMs: since(started) });
    } else if (error instanceof GuardError) {
      onUnavailable?.({ error, reasonCode: error.reasonCode, status: error.status, durationMs: since(started) });
    }
  }

  async function ready(): Promise<void> {
    const started = performance.now();
    try {
      await issuers.ready();
    } catch (error) {
      if (error instanceof GuardError) report(error, started);
      throw error;
    }
  }

  function exportKeys(): KeyCacheSnapshot | undefined {
    const snapshot = issuers.single?.remote?.snapshot();
    return snapshot === undefined ? undefined : { version: 1, issuer: issuers.single!.issuer, ...snapshot };
  }

  return { verify, verifyRequest, authenticate, ready, exportKeys, challenge, resourceMetadata };
}

/**
 * The verifier's challenge settings, carrying the `refused` hook for the guards of the results it
 * makes (a guard's refusal is reported in the name of the verifier that accepted the token).
 */
function withGuardReporter(challenge: ChallengeOptions, refused: VerifierHooks['refused']): ChallengeOptions {
  if (refused === undefined) return challenge;
  return Object.freeze({ ...challenge, [GUARD_REFUSED]: refused });
}

/** The options with `issuer` set from the `domain` shorthand, when that is how it was given. */
function withIssuer(options: VerifierOptions, issuer: string | undefined): VerifierOptions {
  if (options.domain === undefined) return options;
  const { domain: _domain, ...rest } = options;
  return { ...rest, issuer };
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
  /** The issuer the `domain` shorthand names, if given. */
  issuer: string | undefined;
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

  const issuer = issuerFromDomain(options);
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  if (!(Number.isFinite(clockTolerance) && clockTolerance >= 0)) throw new TypeError('`clockTolerance` must be a number of seconds >= 0');
  if (options.maxTokenAge !== undefined && !(Number.isFinite(options.maxTokenAge) && options.maxTokenAge > 0)) {
    throw new TypeError('`maxTokenAge` must be a number of seconds > 0');
  }
  const locations = new Set<TokenLocation>(options.tokenLocations ?? ['header']);
  for (const location of locations) {
    if (!['header', 'query', 'body'].includes(location)) throw new TypeError(`unknown token location ${JSON.stringify(location)}`);
  }
  const { tokenHeader, tokenCookie } = options;
  if (tokenHeader !== undefined && (typeof tokenHeader !== 'string' || !TOKEN_NAME.test(tokenHeader))) throw new TypeError('`tokenHeader` must be a header name');
  if (tokenHeader !== undefined && ['authorization', 'dpop', 'cookie'].includes(tokenHeader.toLowerCase())) {
    throw new TypeError(`\`tokenHeader\` cannot be ${tokenHeader}: it is read by its own rules`);
  }
  if (tokenCookie !== undefined && (typeof tokenCookie !== 'string' || !TOKEN_NAME.test(tokenCookie))) throw new TypeError('`tokenCookie` must be a cookie name');

  const schemes: AuthScheme[] = options.dpop ? (options.dpop.required ? ['DPoP'] : ['Bearer', 'DPoP']) : ['Bearer'];
  const challenge: ChallengeOptions = Object.freeze({
    realm: options.realm,
    schemes,
    dpopAlgorithms: options.dpop ? (options.dpop.algorithms ?? DEFAULT_DPOP_ALGORITHMS) : undefined,
  });
  const resultCache = options.resultCache === true ? {} : options.resultCache || undefined;

  return {
    issuer,
    claimRules: { clockTolerance, maxTokenAge: options.maxTokenAge },
    credentialRules: {
      locations,
      schemes,
      maxTokenLength: options.maxTokenLength ?? 16384,
      tokenHeader: tokenHeader?.toLowerCase(),
      tokenCookie,
    },
    challenge,
    resultCache,
  };
}

/** Seconds of clock skew tolerated when `clockTolerance` is not set (Auth0's own SDKs allow 5). */
export const DEFAULT_CLOCK_TOLERANCE = 5;

/** An HTTP token (RFC 9110 §5.6.2): what a header or cookie name may be. */
const TOKEN_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The issuer of the Auth0 shorthand, `https://<domain>/`. A domain is a host name: a scheme, path
 * or port in it is refused rather than guessed around.
 */
function issuerFromDomain(options: VerifierOptions): string | undefined {
  const { issuer, domain, issuers } = options;
  if (domain === undefined) return undefined;
  if (issuer !== undefined) throw new TypeError('set either `issuer` or `domain`, not both');
  if (issuers !== undefined) throw new TypeError('`domain` describes the one issuer: with `issuers`, set `issuer` in each entry');
  if (typeof domain !== 'string' || domain === '') throw new TypeError('`domain` must be a non-empty string');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i;
  if (scheme.test(domain)) {
    throw new TypeError(`\`domain\` is a host name without a scheme: use ${JSON.stringify(domain.replace(scheme, '').replace(/\/.*$/, ''))}, or set \`issuer\` to the full URL`);
  }
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(domain)) {
    throw new TypeError(`\`domain\` must be a host name such as "tenant.eu.auth0.com" (no path, port or slash), got ${JSON.stringify(domain)}`);
  }
  return `https://${domain.toLowerCase()}/`;
}
