/**
 * `createVerifier`: validates the options once, then wires the pipeline of DESIGN.md:
 * credentials ─► decrypt ─► signature ─► claims ─► dialect ─► sender constraint ─► AuthResult.
 * The crypto backend is chosen by the entry point (Node in `src/index.ts`, WebCrypto in the web
 * adapter), never here.
 */
import { DEFAULT_DPOP_ALGORITHMS, createSenderConstraintStep, type BindingRequest } from './binding/index.js';
import { checkAudience, checkClaimTypes, checkIssuer, checkTimes, nowInSeconds, parseClaims, type ClaimRules } from './claims.js';
import { extractCredentials, type CredentialRules, type TokenLocation } from './credentials.js';
import { SIGNING_ALGORITHMS, isSigningAlgorithm, type CryptoBackend } from './crypto/types.js';
import { createDecryptStep } from './jwe/decrypt.js';
import { refuseUnknownOptions, type ResultCacheOptions, type VerifierOptions } from './options.js';
import { applyDialect } from './dialects.js';
import { AccessTokenError, GuardError, invalidToken, type AuthScheme, type ChallengeOptions } from './errors.js';
import { explainKeyRefusal } from './diagnosis.js';
import { GUARD_REFUSED, guardedHooks, since, type VerifierHooks } from './hooks.js';
import type { FetchHooks } from './keys/observed-fetch.js';
import { AuthResult as Result } from './auth-result.js';
import { accepted, failed, type Anonymous, type AuthenticateOptions, type Outcome } from './outcome.js';
import { createDiscoveredJwks } from './keys/discovery.js';
import { createRemoteJwks } from './keys/remote-jwks.js';
import { createSecretKeySource, createStaticKeySource, type StaticKeys } from './keys/static.js';
import { ResultCache, type VerifiedToken } from './result-cache.js';
import { SignatureVerifier, type CompactJws } from './signature.js';
import type { AuthResult, Dialect, JwksOptions, KeySource, RequestLike, VerifyContext } from './types.js';

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
   * at boot rather than on the first request. Nothing is required of it: without it, keys are
   * fetched on the first request.
   */
  ready(): Promise<void>;
  /** The challenge settings errors of this verifier are rendered with. */
  readonly challenge: ChallengeOptions;
}

/** True for a verifier (anything with the `authenticate` seam), false for options. */
export function isVerifier(value: unknown): value is Verifier {
  return typeof value === 'object' && value !== null && typeof (value as Verifier).authenticate === 'function';
}

const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

export function createVerifierWith(backend: CryptoBackend, options: VerifierOptions): Verifier {
  const config = validateOptions(options);
  const hooks = guardedHooks(options.hooks);
  const keySources = buildKeySources(options, config.issuer, config.algorithms, hooks);
  const signature = new SignatureVerifier(backend, config.algorithms, (alg) => (alg.startsWith('HS') ? keySources.secret : keySources.publicKeys) as KeySource);
  const decrypt = createDecryptStep(options);
  const bindSender = createSenderConstraintStep(options, backend);
  const cache = config.resultCache ? new ResultCache(config.resultCache) : undefined;
  const { claimRules, credentialRules, dialect } = config;
  const challenge = withGuardReporter(config.challenge, hooks.refused);
  const { verified: onVerified, refused: onRefused, unavailable: onUnavailable, resultCacheHit: onCacheHit, resultCacheMiss: onCacheMiss } = hooks;
  // The clock is read only for a hook that reports a duration.
  const timed = onVerified !== undefined || onRefused !== undefined || onUnavailable !== undefined;

  /**
   * Everything that holds for the token whatever the time or the caller. Synchronous (no promise,
   * no microtask) whenever nothing has to be awaited — on Node with the key in memory, every
   * request — since each await costs about as much as a claim check (bench/RESULTS.md).
   */
  function verifyToken(token: string): VerifiedToken | Promise<VerifiedToken> {
    const decrypted = decrypt(token);
    return typeof decrypted === 'string' ? verifyJws(token, decrypted) : decrypted.then((jws) => verifyJws(token, jws));
  }

  function verifyJws(token: string, jws: string): VerifiedToken | Promise<VerifiedToken> {
    const parsed = signature.parse(jws);
    let checked: void | Promise<void>;
    try {
      checked = signature.check(parsed);
    } catch (error) {
      throw explainKeyRefusal(error, parsed, claimRules.issuer, backend);
    }
    if (!(checked instanceof Promise)) return checkClaims(token, jws, parsed);
    return checked.then(
      () => checkClaims(token, jws, parsed),
      (error: unknown) => {
        throw explainKeyRefusal(error, parsed, claimRules.issuer, backend);
      },
    );
  }

  /** Claims of a token whose signature verified. */
  function checkClaims(token: string, jws: string, parsed: CompactJws): VerifiedToken {
    const claims = parseClaims(backend.decodeBase64UrlText(parsed.payload));
    checkClaimTypes(claims);
    checkIssuer(claims, claimRules.issuer);
    checkAudience(claims, claimRules.audiences);
    const profile = applyDialect(dialect, parsed.header, claims);
    return {
      token: jws,
      encrypted: jws !== token,
      header: parsed.header,
      claims,
      dialect: profile.dialect,
      clientId: profile.clientId,
      scopes: profile.scopes,
      permissions: profile.permissions,
    };
  }

  /**
   * Everything after the credentials, synchronously whenever nothing has to be awaited: it
   * returns the result or throws a `GuardError`, and only a JWE, a key still being fetched or a
   * DPoP proof makes it return a promise. `request` is read only by the sender-constraint step,
   * for a bound token or the DPoP scheme (see `BindingRequest`).
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
        checkTimes(cached.claims, claimRules, nowInSeconds());
        return bind(cached, scheme, token, dpopProof, request);
      }
      const pending = verifyToken(token);
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

  /** A freshly verified token: the clock, then the cache, then the caller. */
  function accept(verified: VerifiedToken, scheme: AuthScheme, token: string, dpopProof: string | undefined, request: BindingRequest) {
    checkTimes(verified.claims, claimRules, nowInSeconds());
    cache?.set(token, verified);
    return bind(verified, scheme, token, dpopProof, request);
  }

  function bind(verified: VerifiedToken, scheme: AuthScheme, token: string, dpopProof: string | undefined, request: BindingRequest): AuthResult | Promise<AuthResult> {
    const bound = bindSender(verified.claims, scheme, token, dpopProof, request);
    if (typeof bound === 'string') return new Result(verified, bound, challenge);
    return bound.then(
      (binding) => new Result(verified, binding, challenge),
      (error: unknown) => {
        throw finish(error, scheme, challenge);
      },
    );
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
    const optional = options?.optional === true;
    const started = timed ? performance.now() : 0;
    const decide = (error: unknown): Outcome => {
      if (optional && error instanceof AccessTokenError && error.code === 'missing_credentials') return anonymous;
      if (timed) report(error, started);
      return failed(error);
    };
    let result: AuthResult | Promise<AuthResult>;
    try {
      result = verifyRequestNow(request);
    } catch (error) {
      return decide(error);
    }
    if (result instanceof Promise) return result.then((auth) => accepted(onVerified === undefined ? auth : reportAccepted(auth, started)), decide);
    if (onVerified !== undefined) reportAccepted(result, started);
    return accepted(result);
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
      await Promise.all([keySources.publicKeys?.ready?.(), keySources.secret?.ready?.()]);
    } catch (error) {
      if (error instanceof GuardError) report(error, started);
      throw error;
    }
  }

  return { verify, verifyRequest, authenticate, ready, challenge };
}

/**
 * The verifier's challenge settings, carrying the `refused` hook for the guards of the results it
 * makes (a guard's refusal is reported in the name of the verifier that accepted the token).
 */
function withGuardReporter(challenge: ChallengeOptions, refused: VerifierHooks['refused']): ChallengeOptions {
  if (refused === undefined) return challenge;
  return Object.freeze({ ...challenge, [GUARD_REFUSED]: refused });
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
  issuer: string;
  algorithms: string[];
  dialect: Dialect;
  claimRules: ClaimRules;
  credentialRules: CredentialRules;
  challenge: ChallengeOptions;
  resultCache: ResultCacheOptions | undefined;
}

/** Misconfiguration is a `TypeError` at startup, never a surprise on the first request. */
function validateOptions(options: VerifierOptions): Config {
  if (options === null || typeof options !== 'object') throw new TypeError('createVerifier needs an options object');
  refuseUnknownOptions(options);
  const { audience } = options;
  const issuer = issuerOf(options);
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((value) => typeof value !== 'string' || value === '')) {
    throw new TypeError('`audience` must be a non-empty string or array of non-empty strings');
  }

  const algorithms = options.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError('`algorithms` must be a non-empty array');
  for (const alg of algorithms) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') throw new TypeError('`none` is never an acceptable algorithm');
    if (!isSigningAlgorithm(alg)) {
      throw new TypeError(`unsupported algorithm ${JSON.stringify(alg)}; supported: ${Object.keys(SIGNING_ALGORITHMS).join(', ')}`);
    }
  }
  const symmetric = algorithms.filter((alg) => alg.startsWith('HS'));
  if (symmetric.length > 0) {
    if (options.secret === undefined) throw new TypeError(`${symmetric.join(', ')} need the \`secret\` option`);
    if (typeof options.secret !== 'string' && !(options.secret instanceof Uint8Array)) {
      throw new TypeError('`secret` must be a string or a Uint8Array');
    }
    const length = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret).length : options.secret.length;
    for (const alg of symmetric) {
      if (length < (HMAC_MIN_BYTES[alg] as number)) {
        throw new TypeError(`the secret is ${length} bytes; ${alg} needs at least ${HMAC_MIN_BYTES[alg]} (RFC 7518 §3.2)`);
      }
    }
  } else if (options.secret !== undefined) {
    throw new TypeError('`secret` is set but `algorithms` has no HS algorithm: add HS256 (or the one the API uses)');
  }
  if (options.keys !== undefined && options.jwksUri !== undefined) throw new TypeError('set either `keys` or `jwksUri`, not both');

  const dialect = options.dialect ?? 'any';
  if (!['auth0', 'rfc9068', 'any'].includes(dialect)) throw new TypeError('`dialect` must be "auth0", "rfc9068" or "any"');
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
  if (tokenHeader !== undefined && (typeof tokenHeader !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(tokenHeader))) {
    throw new TypeError('`tokenHeader` must be a header name');
  }
  if (tokenHeader !== undefined && ['authorization', 'dpop', 'cookie'].includes(tokenHeader.toLowerCase())) {
    throw new TypeError(`\`tokenHeader\` cannot be ${tokenHeader}: it is read by its own rules`);
  }
  if (tokenCookie !== undefined && (typeof tokenCookie !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(tokenCookie))) {
    throw new TypeError('`tokenCookie` must be a cookie name');
  }

  const schemes: AuthScheme[] = options.dpop ? (options.dpop.required ? ['DPoP'] : ['Bearer', 'DPoP']) : ['Bearer'];
  const challenge: ChallengeOptions = Object.freeze({
    realm: options.realm,
    schemes,
    dpopAlgorithms: options.dpop ? (options.dpop.algorithms ?? DEFAULT_DPOP_ALGORITHMS) : undefined,
  });
  const resultCache = options.resultCache === true ? {} : options.resultCache || undefined;

  return {
    issuer,
    algorithms,
    dialect,
    claimRules: { issuer, audiences, clockTolerance, maxTokenAge: options.maxTokenAge },
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

/**
 * The issuer: `issuer` as given, or `https://<domain>/` from the Auth0 shorthand. A domain is a
 * host name: a scheme, path or port in it is refused rather than guessed around.
 */
function issuerOf(options: VerifierOptions): string {
  const { issuer, domain } = options;
  if (domain !== undefined) {
    if (issuer !== undefined) throw new TypeError('set either `issuer` or `domain`, not both');
    if (typeof domain !== 'string' || domain === '') throw new TypeError('`domain` must be a non-empty string');
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(domain)) {
      throw new TypeError(`\`domain\` is a host name without a scheme: use ${JSON.stringify(domain.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, ''))}, or set \`issuer\` to the full URL`);
    }
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(domain)) {
      throw new TypeError(`\`domain\` must be a host name such as "tenant.eu.auth0.com" (no path, port or slash), got ${JSON.stringify(domain)}`);
    }
    return `https://${domain.toLowerCase()}/`;
  }
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('`issuer` must be a non-empty string (or set `domain`, the Auth0 shorthand)');
  return issuer;
}

interface KeySources {
  /** For HS algorithms. */
  secret: KeySource | undefined;
  /** For every other algorithm. */
  publicKeys: KeySource | undefined;
}

/** HS algorithms verify with the secret; every other algorithm with the public-key source. */
function buildKeySources(options: VerifierOptions, issuer: string, algorithms: readonly string[], hooks: FetchHooks): KeySources {
  const secret = options.secret === undefined ? undefined : createSecretKeySource(options.secret);
  const needsPublicKeys = algorithms.some((alg) => !alg.startsWith('HS'));
  if (!needsPublicKeys && (options.keys !== undefined || options.jwksUri !== undefined)) {
    throw new TypeError('`keys`/`jwksUri` are set but `algorithms` allows only HS algorithms, which verify with `secret`');
  }
  const publicKeys = !needsPublicKeys
    ? undefined
    : options.keys !== undefined
      ? createStaticKeySource(options.keys, algorithms)
      : options.jwksUri !== undefined
        ? createRemoteJwks(options.jwksUri, options.jwks, hooks)
        : createDiscoveredJwks(issuer, options.jwks, hooks);
  return { secret, publicKeys };
}
