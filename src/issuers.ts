/**
 * Issuers. `createIssuerPipeline` is the part of the pipeline that belongs to one issuer: its
 * key source and signature check, then its `iss`/`aud` rules and its dialect. `createIssuerStep`
 * is that one pipeline, or, with several issuers (`issuers`), the directory that picks one per
 * token — an optional step the entry point hands in (src/issuer-directory.ts).
 */
import { checkAudience, checkClaimTypes, checkIssuer, parseClaims } from './claims.js';
import { SIGNING_ALGORITHMS, isSigningAlgorithm, type CryptoBackend } from './crypto/types.js';
import { DIALECTS, applyDialect, claimPath, type DialectRules } from './dialects.js';
import { quote } from './quote.js';
import { AccessTokenError, KeysUnavailableError, invalidToken } from './errors.js';
import { createDiscoveredJwks, type DiscoveredJwks } from './keys/discovery.js';
import { createRemoteJwks, type RemoteJwks } from './keys/remote-jwks.js';
import { checkSeed } from './keys/seed.js';
import { createSecretKeySource, createStaticKeySource, type PemImporter } from './keys/static.js';
import { missingStep, type OptionalSteps } from './optional-steps.js';
import type { IssuerCacheOptions, IssuerOptions, IssuerResolverRequest, JwksOptions, SharedOptions } from './options.js';
import type { VerifiedToken } from './result-cache.js';
import { SignatureVerifier, type CompactJws } from './signature.js';
import { explainKeyRefusal } from './diagnosis.js';
import type { FetchHooks } from './keys/observed-fetch.js';
import type { JWK, JWTClaims, JWTHeader, KeySource } from './types.js';

export interface IssuerPipeline {
  /** The configured issuer: an exact identifier, or a `{tenantid}` template. */
  readonly issuer: string;
  /**
   * Signature, then claims, of a compact JWS (`token` is what was presented, for `encrypted`).
   * `claims` are the payload's, when already read to select this issuer. Synchronous whenever
   * the key is in memory (on Node); throws or rejects with a `GuardError`.
   */
  verify(token: string, jws: string, claims: JWTClaims | undefined): VerifiedToken | Promise<VerifiedToken>;
  /** Obtains this issuer's keys now (discovery, key set); rejects with the precise failure. */
  ready(): Promise<void>;
  /** The fetched key source (remote JWKS or discovery), for `ready()` and `exportKeys()`. */
  readonly remote: RemoteJwks | DiscoveredJwks | undefined;
  /**
   * The claim checks alone (types, `iss`, `aud`, dialect), for claims vouched for another way
   * (an introspection answer); `header` stands in for the JOSE header the dialect may read.
   */
  checkVouched(token: string, header: JWTHeader, claims: JWTClaims): VerifiedToken;
  /** This issuer's signature step (its keys and allow-list), for other JWTs it signs (RFC 9701 answers). */
  readonly signature: SignatureVerifier;
}

const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
const TENANT_PLACEHOLDER = '{tenantid}';
/** Entra tenant ids are GUIDs (the access-token claims reference, `tid`). */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INVALID = 'The access token is invalid.';

/** `https://login.microsoftonline.com/{tenantid}/v2.0` split around its placeholder. */
export interface TenantTemplate {
  prefix: string;
  suffix: string;
}

/**
 * Validates one issuer's options (a `TypeError` naming `where` on misuse) and builds its
 * pipeline. `defaults.jwks` is the top-level key-source tuning an entry inherits.
 */
export function createIssuerPipeline(backend: CryptoBackend, options: IssuerOptions, defaults: IssuerDefaults, where = ''): IssuerPipeline {
  const { issuer, audiences, algorithms, dialectRules, template } = validateIssuerOptions(options, where);
  const keys = buildKeySources(options, algorithms, defaults, where);
  const signature = new SignatureVerifier(backend, algorithms, (alg) => (alg.startsWith('HS') ? keys.secret : keys.publicKeys) as KeySource);

  function checkClaims(token: string, jws: string, parsed: CompactJws, read: JWTClaims | undefined): VerifiedToken {
    return checkClaimSet(token, jws, parsed.header, read ?? parseClaims(backend.decodeBase64UrlText(parsed.payload)), parsed.key);
  }

  /** `key`: what verified the signature; none for claims an introspection answer vouched for. */
  function checkClaimSet(token: string, jws: string, header: JWTHeader, claims: JWTClaims, key: JWK | undefined): VerifiedToken {
    checkClaimTypes(claims);
    if (template === undefined) checkIssuer(claims, issuer);
    else checkTenantIssuer(claims, template, issuer);
    if (audiences.length > 0) checkAudience(claims, audiences);
    const profile = applyDialect(dialectRules, header, claims);
    return {
      token: jws,
      encrypted: jws !== token,
      header,
      claims,
      issuer: claims.iss as string,
      key,
      verifiedBy: key === undefined ? undefined : signature,
      dialect: profile.dialect,
      clientId: profile.clientId,
      scopes: profile.scopes,
      permissions: profile.permissions,
    };
  }

  return {
    issuer,
    remote: keys.remote,
    signature,
    checkVouched: (token, header, claims) => checkClaimSet(token, token, header, claims, undefined),
    verify(token, jws, claims) {
      const parsed = signature.parse(jws);
      let checked: void | Promise<void>;
      try {
        checked = signature.check(parsed);
      } catch (error) {
        throw explainKeyRefusal(error, parsed, issuer, backend);
      }
      if (!(checked instanceof Promise)) return checkClaims(token, jws, parsed, claims);
      return checked.then(
        () => checkClaims(token, jws, parsed, claims),
        (error: unknown) => {
          throw explainKeyRefusal(error, parsed, issuer, backend);
        },
      );
    },
    async ready() {
      await Promise.all([keys.publicKeys?.ready?.(), keys.secret?.ready?.()]);
    },
  };
}

interface IssuerConfig {
  issuer: string;
  audiences: readonly string[];
  algorithms: string[];
  dialectRules: DialectRules;
  template: TenantTemplate | undefined;
}

function validateIssuerOptions(options: IssuerOptions, where: string): IssuerConfig {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where || 'the issuer options'} must be an object`);
  const name = (option: string) => `\`${where}${option}\``;
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError(`${name('issuer')} must be a non-empty string`);
  const dialect = options.dialect ?? 'any';
  if (!DIALECTS.includes(dialect)) throw new TypeError(`${name('dialect')} must be one of ${DIALECTS.map((known) => `"${known}"`).join(', ')}`);

  const clientIds = optionalList(options.clientId, name('clientId'));
  let audiences: string[];
  if (dialect === 'cognito') {
    // Cognito access tokens carry no aud (its documentation): the app client is what is checked.
    if (audience !== undefined) throw new TypeError(`${name('audience')}: Cognito access tokens have no aud; set clientId to the app client id(s) instead`);
    if (clientIds === undefined) throw new TypeError(`${name('clientId')} is required with dialect "cognito" (Cognito access tokens have no aud)`);
    audiences = [];
  } else {
    audiences = optionalList(audience, name('audience')) ?? [];
    if (audiences.length === 0) throw new TypeError(`${name('audience')} must be a non-empty string or array of non-empty strings`);
  }

  const template = parseTemplate(issuer, name('issuer'));
  if (template !== undefined && dialect !== 'entra') {
    throw new TypeError(`${name('issuer')} has ${TENANT_PLACEHOLDER}, which only dialect "entra" can check (against the token's tid)`);
  }
  if (template !== undefined && options.jwksUri === undefined && options.keys === undefined) {
    throw new TypeError(`${name('issuer')} is a tenant template, which has no metadata to discover: set jwksUri (Entra: https://login.microsoftonline.com/common/discovery/v2.0/keys)`);
  }

  const algorithms = options.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError(`${name('algorithms')} must be a non-empty array`);
  for (const alg of algorithms) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') throw new TypeError('`none` is never an acceptable algorithm');
    if (!isSigningAlgorithm(alg)) {
      throw new TypeError(`unsupported algorithm ${JSON.stringify(alg)}; supported: ${Object.keys(SIGNING_ALGORITHMS).join(', ')}`);
    }
  }
  checkSecret(options, algorithms, name);
  if (options.keys !== undefined && options.jwksUri !== undefined) throw new TypeError(`set either ${name('keys')} or ${name('jwksUri')}, not both`);

  const mapping = options.claims;
  if (mapping !== undefined && (mapping === null || typeof mapping !== 'object')) throw new TypeError(`${name('claims')} must be an object`);
  const path = (option: 'scopes' | 'permissions') => {
    const value = mapping?.[option];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '' || value.split('.').some((part) => part === '')) {
      throw new TypeError(`${name(`claims.${option}`)} must be a claim name or a dotted path such as "realm_access.roles"`);
    }
    return claimPath(value);
  };

  return {
    issuer,
    audiences,
    algorithms,
    template,
    dialectRules: { dialect, clientIds, scopesPath: path('scopes'), permissionsPath: path('permissions'), audiences },
  };
}

function optionalList(value: string | string[] | undefined, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`${name} must be a non-empty string or array of non-empty strings`);
  }
  return list;
}

function checkSecret(options: IssuerOptions, algorithms: readonly string[], name: (option: string) => string): void {
  const symmetric = algorithms.filter((alg) => alg.startsWith('HS'));
  if (symmetric.length > 0) {
    if (options.secret === undefined) throw new TypeError(`${symmetric.join(', ')} need the ${name('secret')} option`);
    if (typeof options.secret !== 'string' && !(options.secret instanceof Uint8Array)) {
      throw new TypeError(`${name('secret')} must be a string or a Uint8Array`);
    }
    const length = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret).length : options.secret.length;
    for (const alg of symmetric) {
      if (length < (HMAC_MIN_BYTES[alg] as number)) {
        throw new TypeError(`the secret is ${length} bytes; ${alg} needs at least ${HMAC_MIN_BYTES[alg]} (RFC 7518 §3.2)`);
      }
    }
  } else if (options.secret !== undefined) {
    throw new TypeError(`${name('secret')} is set but ${name('algorithms')} has no HS algorithm: add HS256 (or the one the API uses)`);
  }
}

interface KeySources {
  /** For HS algorithms. */
  secret: KeySource | undefined;
  /** For every other algorithm. */
  publicKeys: KeySource | undefined;
  /** The fetched key source, if the issuer has one (for `ready()` and `exportKeys()`). */
  remote: RemoteJwks | DiscoveredJwks | undefined;
}

/**
 * HS algorithms verify with the secret; every other algorithm with the public-key source, which
 * starts from `jwks.seed` (a saved key cache, checked against this issuer) when one is given.
 */
function buildKeySources(options: IssuerOptions, algorithms: readonly string[], defaults: IssuerDefaults, where: string): KeySources {
  const { hooks, pemKeys } = defaults;
  const secret = options.secret === undefined ? undefined : createSecretKeySource(options.secret);
  const needsPublicKeys = algorithms.some((alg) => !alg.startsWith('HS'));
  if (!needsPublicKeys && (options.keys !== undefined || options.jwksUri !== undefined)) {
    throw new TypeError(`\`${where}keys\`/\`${where}jwksUri\` are set but \`${where}algorithms\` allows only HS algorithms, which verify with \`secret\``);
  }
  const jwks = options.jwks ?? defaults.jwks;
  const fetchesKeys = needsPublicKeys && options.keys === undefined;
  if (jwks?.seed !== undefined && !fetchesKeys) throw new TypeError(`\`${where}jwks.seed\` is set but this verifier fetches no keys (it has \`keys\` or only HS algorithms)`);
  const seed = jwks?.seed === undefined ? undefined : checkSeed(jwks.seed, options.issuer as string, options.jwksUri);
  const remote = !fetchesKeys
    ? undefined
    : options.jwksUri !== undefined
      ? createRemoteJwks(options.jwksUri, jwks, hooks, seed?.jwks)
      : createDiscoveredJwks(options.issuer as string, jwks, hooks, seed);
  const publicKeys = !needsPublicKeys ? undefined : (remote ?? createStaticKeySource(options.keys!, algorithms, pemKeys));
  return { secret, publicKeys, remote };
}

export function parseTemplate(issuer: string, name: string): TenantTemplate | undefined {
  const at = issuer.indexOf(TENANT_PLACEHOLDER);
  if (at === -1) return undefined;
  if (issuer.indexOf(TENANT_PLACEHOLDER, at + 1) !== -1) throw new TypeError(`${name} may hold ${TENANT_PLACEHOLDER} once`);
  return { prefix: issuer.slice(0, at), suffix: issuer.slice(at + TENANT_PLACEHOLDER.length) };
}

/** The tenant an issuer names under a template, if it fits it. */
export function tenantOf(iss: string, template: TenantTemplate): string | undefined {
  const { prefix, suffix } = template;
  if (iss.length <= prefix.length + suffix.length || !iss.startsWith(prefix) || !iss.endsWith(suffix)) return undefined;
  const tenant = iss.slice(prefix.length, iss.length - suffix.length);
  return TENANT_ID.test(tenant) ? tenant : undefined;
}

/**
 * A multi-tenant issuer: `iss` is the template with a tenant id in it, and that tenant is the
 * token's own `tid` — so a token from tenant A cannot pass as one from tenant B, and an issuer
 * that merely looks like Entra's is not accepted.
 */
function checkTenantIssuer(claims: JWTClaims, template: TenantTemplate, configured: string): void {
  const { iss, tid } = claims;
  if (iss === undefined) throw invalidToken(INVALID, 'the token has no iss');
  const tenant = tenantOf(iss, template);
  if (tenant === undefined) throw invalidToken(INVALID, `iss is ${quote(iss)}, which does not fit the issuer template ${quote(configured)}`);
  if (tid !== tenant) {
    throw invalidToken(INVALID, `iss names tenant ${quote(tenant)} but tid is ${tid === undefined ? 'missing' : quote(tid)}: the issuer must be the token's own tenant's`);
  }
}

/**
 * The issuer's part of the pipeline for a compact JWS (`token` is what was presented):
 * verified with the one issuer's pipeline, or, with `issuers`, with the pipeline the token's
 * unverified `iss` selects — never a new key source: an unknown issuer is refused here, before
 * any request — and a failure's reason naming the issuer tried.
 */
export interface IssuerStep {
  verify(token: string, jws: string, request: IssuerResolverRequest): VerifiedToken | Promise<VerifiedToken>;
  /** Obtains the keys of every issuer known now (one issuer, or a listed `issuers`); a resolver's come later. */
  ready(): Promise<void>;
  /** The one issuer's pipeline, in the single-issuer form (token introspection uses it). */
  readonly single?: IssuerPipeline;
}

export function createIssuerStep(backend: CryptoBackend, options: IssuerOptions & SharedOptions, hooks: FetchHooks | undefined, steps: IssuerSteps): IssuerStep {
  if (options.issuers === undefined) {
    const single = createIssuerPipeline(backend, options, { hooks, pemKeys: steps.pemKeys });
    return { verify: (token, jws) => single.verify(token, jws, undefined), ready: () => single.ready(), single };
  }
  if (steps.issuerDirectory === undefined) throw missingStep('issuers', 'issuerDirectory');
  return steps.issuerDirectory(backend, options.issuers, { jwks: options.jwks, issuerCache: options.issuerCache, hooks, pemKeys: steps.pemKeys });
}

/** The optional steps the issuers' part of the pipeline uses. */
export type IssuerSteps = Pick<OptionalSteps, 'issuerDirectory' | 'pemKeys'>;

/** What every issuer of a directory inherits from the top-level options, and the steps it may use. */
export interface IssuerDefaults {
  jwks?: JwksOptions;
  hooks?: FetchHooks;
  issuerCache?: IssuerCacheOptions;
  pemKeys?: PemImporter;
}

/** The optional step behind `issuers` (src/issuer-directory.ts). */
export type IssuerDirectoryFactory = (backend: CryptoBackend, issuers: NonNullable<SharedOptions['issuers']>, defaults: IssuerDefaults) => IssuerStep;

/**
 * A failure while verifying for one issuer, its `reason` naming that issuer, so a log says
 * which of several issuers a token was tried against. A new error; the original is kept as `cause`.
 */
export function namingIssuer(error: unknown, issuer: string): unknown {
  const where = `issuer ${quote(issuer)}: `;
  if (error instanceof AccessTokenError) {
    return new AccessTokenError(error.code, error.description, where + error.reason, {
      scope: error.scope,
      scheme: error.scheme,
      dpopNonce: error.dpopNonce,
      challenge: error.challenge,
      cause: error,
    });
  }
  if (error instanceof KeysUnavailableError) return new KeysUnavailableError(where + error.reason, error.retryAfter, { cause: error });
  return error;
}
