/**
 * `createVerifier`: validates the options once, then wires the pipeline of docs/architecture.md:
 * credentials ─► decrypt ─► signature ─► claims ─► dialect ─► sender constraint ─► AuthResult.
 * The crypto backend is chosen by the entry point (Node in `src/index.ts`, WebCrypto in the web
 * adapter), never here.
 */
import type { BindingRequest } from './binding/index.js';
import { DEFAULT_DPOP_ALGORITHMS } from './binding/dpop-algorithms.js';
import { checkAudience, checkClaimTypes, checkIssuer, checkTimes, nowInSeconds, parseClaims, type ClaimRules } from './claims.js';
import { extractCredentials, type CredentialRules, type TokenLocation } from './credentials.js';
import { SIGNING_ALGORITHMS, isSigningAlgorithm, type CryptoBackend } from './crypto/types.js';
import { bearerTokensOnly, noResultCache, plainTokensOnly, type OptionalSteps } from './optional-steps.js';
import { refuseUnknownOptions, type ResultCacheOptions, type VerifierOptions } from './options.js';
import { applyDialect } from './dialects.js';
import { AccessTokenError, GuardError, invalidToken, type AuthScheme, type ChallengeOptions } from './errors.js';
import { AuthResult as Result } from './auth-result.js';
import { accepted, failed, type Anonymous, type AuthenticateOptions, type Outcome } from './outcome.js';
import { createDiscoveredJwks, type DiscoveredJwks } from './keys/discovery.js';
import { createRemoteJwks, type RemoteJwks } from './keys/remote-jwks.js';
import { checkSeed, type KeyCacheSnapshot } from './keys/seed.js';
import { createSecretKeySource, createStaticKeySource, type StaticKeys } from './keys/static.js';
import type { VerifiedToken } from './result-cache.js';
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
   * Fetches ahead what the first request would otherwise wait for — the issuer's metadata (when
   * discovering) and the key set — unless a fresh copy is cached (or seeded). Rejects with our
   * 503 error, whose `reason` says precisely what failed and what to set. Resolves at once for a
   * verifier with static keys or a secret.
   */
  ready(): Promise<void>;
  /**
   * The key cache as JSON-safe data, to persist and give the next instance as `jwks.seed`, so
   * it answers its first request without fetching. Undefined before the keys were first fetched,
   * and for a verifier with static keys or a secret.
   */
  exportKeys(): KeyCacheSnapshot | undefined;
  /** The challenge settings errors of this verifier are rendered with. */
  readonly challenge: ChallengeOptions;
}

/** True for a verifier (anything with the `authenticate` seam), false for options. */
export function isVerifier(value: unknown): value is Verifier {
  return typeof value === 'object' && value !== null && typeof (value as Verifier).authenticate === 'function';
}

const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * A verifier on `backend` with the optional steps the entry point hands it (optional-steps.ts):
 * without one, the option that needs it is a TypeError and what it would check is refused.
 */
export function createVerifierWith(backend: CryptoBackend, options: VerifierOptions, steps: OptionalSteps = {}): Verifier {
  const config = validateOptions(options);
  const keySources = buildKeySources(options, config.algorithms);
  const signature = new SignatureVerifier(backend, config.algorithms, keySources.forAlg);
  const decrypt = (steps.decrypt ?? plainTokensOnly)(options);
  const bindSender = steps.senderConstraint ? steps.senderConstraint(options, backend) : bearerTokensOnly(options);
  const cache = config.resultCache ? (steps.resultCache ?? noResultCache)(config.resultCache) : undefined;
  const { claimRules, credentialRules, challenge, dialect } = config;

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
    const checked = signature.check(parsed);
    return checked instanceof Promise ? checked.then(() => checkClaims(token, jws, parsed)) : checkClaims(token, jws, parsed);
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
    return settled(() => verifyNow(token, given.scheme ?? 'Bearer', given.dpopProof, given));
  }

  function verifyRequest(request: RequestLike): Promise<AuthResult> {
    return settled(() => verifyRequestNow(request));
  }

  const anonymous: Anonymous = Object.freeze({ kind: 'anonymous', challenge });

  function authenticate(request: RequestLike, options?: AuthenticateOptions): Outcome | Promise<Outcome> {
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
    await keySources.remote?.ready();
  }

  function exportKeys(): KeyCacheSnapshot | undefined {
    const snapshot = keySources.remote?.snapshot();
    if (snapshot === undefined) return undefined;
    return { version: 1, issuer: config.claimRules.issuer, ...snapshot };
  }

  return { verify, verifyRequest, authenticate, ready, exportKeys, challenge };
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
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('`issuer` must be a non-empty string');
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
    algorithms,
    dialect,
    claimRules: { issuer, audiences, clockTolerance, maxTokenAge: options.maxTokenAge },
    credentialRules: { locations, schemes, maxTokenLength: options.maxTokenLength ?? 16384 },
    challenge,
    resultCache,
  };
}

/** HS algorithms verify with the secret; every other algorithm with the public-key source. */
interface KeySources {
  /** The source for a token's `alg`. */
  forAlg: (alg: string) => KeySource;
  /** The remote (fetched) key source, if the verifier has one. */
  remote: RemoteJwks | DiscoveredJwks | undefined;
}

/** HS algorithms verify with the secret; every other algorithm with the public-key source. */
function buildKeySources(options: VerifierOptions, algorithms: readonly string[]): KeySources {
  const secret = options.secret === undefined ? undefined : createSecretKeySource(options.secret);
  const needsPublicKeys = algorithms.some((alg) => !alg.startsWith('HS'));
  if (!needsPublicKeys && (options.keys !== undefined || options.jwksUri !== undefined)) {
    throw new TypeError('`keys`/`jwksUri` are set but `algorithms` allows only HS algorithms, which verify with `secret`');
  }
  const fetchesKeys = needsPublicKeys && options.keys === undefined;
  if (options.jwks?.seed !== undefined && !fetchesKeys) throw new TypeError('`jwks.seed` is set but this verifier fetches no keys (it has `keys` or only HS algorithms)');
  const seed = options.jwks?.seed === undefined ? undefined : checkSeed(options.jwks.seed, options.issuer, options.jwksUri);
  const remote = !fetchesKeys
    ? undefined
    : options.jwksUri !== undefined
      ? createRemoteJwks(options.jwksUri, options.jwks, seed?.jwks)
      : createDiscoveredJwks(options.issuer, options.jwks, seed);
  const publicKeys = !needsPublicKeys ? undefined : remote ?? createStaticKeySource(options.keys as StaticKeys, algorithms);
  return { forAlg: (alg) => ((alg.startsWith('HS') ? secret : publicKeys) as KeySource), remote };
}
