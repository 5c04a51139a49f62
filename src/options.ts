/**
 * Every option of `createVerifier`, in one place: this file is the reference for what a verifier
 * can be told, with each default. The pipeline's steps import the part they read; `createVerifier`
 * refuses a name that is not here, so a misspelt option (`audiance`) fails at startup instead of
 * being silently ignored.
 */
import type { DpopNonceOption } from './binding/dpop-nonce.js';
import type { ReplayStore } from './binding/replay-store.js';
import type { TokenLocation } from './credentials.js';
import type { DecryptionKeyInput } from './jwe/decryption-keys.js';
import type { KeyCacheSnapshot } from './keys/seed.js';
import type { StaticKeys } from './keys/static.js';
import type { VerifierHooks } from './hooks.js';
import type { AuthResult, Dialect, JWK, RequestLike } from './types.js';

/**
 * What a verifier knows about one issuer it trusts: the top level of `VerifierOptions` for a
 * single issuer, or one entry of `issuers` (or what the issuer resolver returns) for several.
 * Everything that decides whether a token of this issuer is genuine and meant for this API is
 * here; what concerns the request or the API as a whole stays top-level (see `SharedOptions`).
 */
export interface IssuerOptions {
  /**
   * The issuer, compared to the token's `iss` exactly. Auth0: `https://YOUR_DOMAIN/`, with the
   * trailing slash. With `dialect: 'entra'`, a multi-tenant template such as
   * `https://login.microsoftonline.com/{tenantid}/v2.0` accepts every tenant's issuer whose
   * tenant is the token's `tid` (and then needs `jwksUri` or `keys`: a template cannot be discovered).
   * Required, unless the top-level `domain` is given (and never with it).
   */
  issuer?: string;
  /**
   * The API identifier(s), compared to `aud` exactly: a trailing slash matters. Required, except
   * with `dialect: 'cognito'` (Cognito access tokens have no `aud`; `clientId` is checked instead).
   */
  audience?: string | string[];
  /**
   * The client id(s) whose tokens this API accepts, compared to the token's client id as its
   * dialect reads it (`client_id`, `azp`, `appid`, `cid`). Required with `dialect: 'cognito'`.
   * @default any client
   */
  clientId?: string | string[];
  /**
   * Where the issuer publishes its keys.
   * @default discovered from the issuer's metadata: OpenID Connect discovery, then RFC 8414
   */
  jwksUri?: string;
  /** Public keys given directly (JWKS, JWK, PEM, certificate, KeyObject): no network at all. */
  keys?: StaticKeys;
  /** The secret of an API whose tokens are HS256/384/512-signed. */
  secret?: string | Uint8Array;
  /**
   * Allow-list of JWS algorithms; `none` is never accepted.
   * @default ['RS256']
   */
  algorithms?: string[];
  /**
   * Which token profile's rules apply: `auth0`, `rfc9068`, `any` (RFC 9068 rules for a
   * `typ: at+jwt` token, the generic RFC 7519 rules otherwise), or a vendor's shape: `cognito`,
   * `entra`, `okta`, `keycloak` (README, "Issuers").
   * @default 'any'
   */
  dialect?: Dialect;
  /**
   * Which claims hold the scopes and the permissions, when not where the dialect looks: a claim
   * name or a dotted path (`realm_access.roles`) to a space-separated string or an array of strings.
   * @default the dialect's own (`scope`; `permissions`; see README for each vendor dialect)
   */
  claims?: ClaimMapping;
  /** Key source tuning for `jwksUri` and discovery. @default the top-level `jwks` */
  jwks?: JwksOptions;
}

/** Where `AuthResult.scopes` and `AuthResult.permissions` come from. */
export interface ClaimMapping {
  /** The claim (or dotted path) holding scopes. @default the dialect's */
  scopes?: string;
  /** The claim (or dotted path) holding permissions or roles. @default the dialect's */
  permissions?: string;
}

/**
 * The per-tenant form of `issuers`: asked with the token's unverified `iss` (and the request),
 * answers that issuer's options (`issuer` may be left out: it is the one asked about), or
 * `undefined` to refuse it. Asked at most once per issuer
 * while its answer is cached (`issuerCache`); its answer is validated like a static entry.
 */
export type IssuerResolver = (
  issuer: string,
  request: IssuerResolverRequest,
) => IssuerOptions | undefined | Promise<IssuerOptions | undefined>;

/** What the resolver sees of the request: as much of it as the verifier was given. */
export interface IssuerResolverRequest {
  method?: string;
  url?: string;
  headers?: RequestLike['headers'];
}

export interface IssuerCacheOptions {
  /** Most resolved issuers kept (each with its key cache); the least recently used goes first. @default 100 */
  maxEntries?: number;
  /**
   * Seconds a resolver's answer is kept before it is asked again; an `undefined` answer is kept
   * at most 60 s, so a tenant added since is soon accepted.
   * @default 600
   */
  maxAge?: number;
}

/** What concerns the request or the API as a whole: the same whatever the issuer. */
export interface SharedOptions {
  /**
   * Several issuers: a list of `IssuerOptions`, each naming its `issuer` (and with its own keys,
   * audience, algorithms, dialect), or a resolver for per-tenant lookup. The token's unverified `iss` only selects
   * among them; an issuer not listed (or refused by the resolver) is refused before any network
   * request. Excludes the top-level issuer options.
   * @default none: the top level describes the one issuer
   */
  issuers?: Array<IssuerOptions & { issuer: string }> | IssuerResolver;
  /** Bounds on the resolver's cached answers (`issuers` as a function). */
  issuerCache?: IssuerCacheOptions;
  /**
   * Auth0 shorthand for the one issuer: the tenant's domain (`tenant.eu.auth0.com`, or a custom
   * domain), from which `issuer` is derived as `https://<domain>/`, trailing slash included. A
   * host name only: no scheme, path or port. Not with `issuer`, nor with `issuers`.
   * @default none: `issuer` is required
   */
  domain?: string;
  /**
   * Seconds of clock skew tolerated on `exp`, `nbf` and `iat`: real clocks drift, and a token
   * minted a second "in the future" by the issuer's clock is no attack. Set 0 to be strict.
   * @default 5
   */
  clockTolerance?: number;
  /** Refuse tokens whose `iat` is older than this many seconds. @default no limit */
  maxTokenAge?: number;
  /** The `realm` of every challenge. @default none (omitted) */
  realm?: string;
  /**
   * Where a token may come from. `query` and `body` put tokens where logs and caches see them
   * (RFC 6750 §5.3): enable them only when a client cannot send a header.
   * @default ['header']
   */
  tokenLocations?: TokenLocation[];
  /**
   * A header whose whole value is the access token (no scheme), for clients that cannot send
   * `Authorization` (e.g. `x-access-token`). Read only when set, besides `Authorization`: a
   * request with a token in both is refused (two tokens).
   * @default none
   */
  tokenHeader?: string;
  /**
   * A cookie whose value is the access token (browser apps behind a backend-for-frontend). Read
   * only when set; a cookie sent twice, or beside another token, is refused. Cookies are sent by
   * browsers on cross-site requests too: protect state-changing routes against CSRF (SameSite).
   * @default none
   */
  tokenCookie?: string;
  /**
   * Longest token accepted, in characters, before any work.
   * @default 16384
   */
  maxTokenLength?: number;
  /**
   * Functions called as things happen, for logs and metrics: `verified`, `refused`,
   * `unavailable`, `keysFetched`, `keysFetchFailed`, `resultCacheHit`, `resultCacheMiss`
   * (src/hooks.ts). A hook that throws is caught (reported once with `console.warn`) and never
   * changes a decision; unset hooks cost nothing.
   * @default none
   */
  hooks?: VerifierHooks;
  /** Key source tuning for `jwksUri` and discovery; the default of every entry of `issuers`. */
  jwks?: JwksOptions;
  /**
   * A bounded cache of verified results, keyed by the whole token: `true` for the defaults.
   * @default false
   */
  resultCache?: boolean | ResultCacheOptions;

  /**
   * Private keys for encrypted (JWE) access tokens: PEM (PKCS#8 or PKCS#1), Node KeyObject,
   * private JWK, or `{ kid, key }`. Several for rotation: a JWE `kid` that names a key picks it
   * alone; a JWE without `kid` tries every key in order; a `kid` no key has tries the keys
   * configured without one. At most 5, so a token costs at most 5 RSA private-key operations.
   * Shared by every issuer: they are the API's own keys, and an encrypted token's issuer is
   * unknown until it is decrypted.
   * @default none: an encrypted token is refused
   */
  decryptionKeys?: DecryptionKeyInput[];
  /**
   * JWE `alg` allow-list; `RSA-OAEP` (SHA-1) may be added.
   * @default ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512']
   */
  keyManagementAlgorithms?: string[];
  /**
   * JWE `enc` allow-list.
   * @default ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512']
   */
  contentEncryptionAlgorithms?: string[];
  /**
   * Refuse tokens that arrive signed but not encrypted (once the issuer encrypts them all).
   * @default false
   */
  requireEncryption?: boolean;

  /** Certificate-bound tokens (RFC 8705). @default a bound token is checked; unbound ones pass */
  mtls?: MtlsOptions;
  /** DPoP-bound tokens (RFC 9449). @default the DPoP scheme is not accepted */
  dpop?: DpopOptions;

  /**
   * Token introspection (RFC 7662): opaque tokens (or every token, `mode: 'all'`) are sent to the
   * issuer's introspection endpoint, and an active answer is held to the same rules as a JWT.
   * Single-issuer form only: an opaque token names no issuer to pick among `issuers`.
   * @default none: an opaque token is refused as malformed
   */
  introspection?: IntrospectionOptions;
  /**
   * Your own deny-list for JWTs: called with every locally verified result, after every other
   * check; `true` refuses the token (401 `invalid_token`). A throw or rejection is our failure
   * (503), never an acceptance. Not called for introspected tokens: the endpoint already said.
   * @default none
   */
  isRevoked?: (auth: AuthResult) => boolean | Promise<boolean>;

  /**
   * Publish OAuth 2.0 Protected Resource Metadata (RFC 9728), as MCP servers must: `authenticate`
   * then answers GET and HEAD on `/.well-known/oauth-protected-resource` (and on the form with
   * the resource's path appended, RFC 9728 §3.1) with the document itself, before any
   * authentication, and every challenge carries `resource_metadata="<its URL>"`. `{}` derives
   * every member from the other options.
   * @default none: no path is special and challenges carry no `resource_metadata`
   */
  resourceMetadata?: ResourceMetadataOptions;
}

/**
 * The members of the RFC 9728 §2 document, camelCased; the document is served in snake_case.
 * Members left out are derived from the verifier's options where they say something.
 */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier: an https URL (http on loopback), no fragment. RFC 8707: it is what
   * clients ask the authorization server for, so it is the tokens' audience, exactly.
   * @default `audience`, when it is a single URL
   */
  resource?: string;
  /**
   * Issuer identifiers of the authorization servers that issue tokens for this API.
   * @default [issuer]
   */
  authorizationServers?: string[];
  /** Scopes this API uses (`scopes_supported`). @default omitted */
  scopesSupported?: string[];
  /**
   * How a token may be sent (`bearer_methods_supported`: `header`, `body`, `query`).
   * @default from `tokenLocations` (`['header']`)
   */
  bearerMethodsSupported?: Array<'header' | 'body' | 'query'>;
  /**
   * Signing algorithms this API accepts (`resource_signing_alg_values_supported`).
   * @default `algorithms` (`['RS256']`)
   */
  resourceSigningAlgValuesSupported?: string[];
  /** URL of human-readable documentation for developers (`resource_documentation`). @default omitted */
  resourceDocumentation?: string;
  /** Human-readable name (`resource_name`). @default omitted */
  resourceName?: string;
  /**
   * Whether only DPoP-bound tokens are accepted (`dpop_bound_access_tokens_required`).
   * @default `dpop.required`, when `dpop` is set
   */
  dpopBoundAccessTokensRequired?: boolean;
  /**
   * Whether only certificate-bound tokens are accepted (`tls_client_certificate_bound_access_tokens`).
   * @default `mtls.required`, when `mtls` is set
   */
  tlsClientCertificateBoundAccessTokens?: boolean;
  /**
   * More members, added as they are (snake_case names, JSON values: `resource_policy_uri`,
   * `jwks_uri`, `signed_metadata`…); cannot replace a member the options above set.
   * @default none
   */
  extra?: Record<string, unknown>;
  /**
   * `Cache-Control: max-age` of the document, seconds.
   * @default 3600
   */
  maxAge?: number;
}

/** Every option of `createVerifier`: one issuer at the top level, or several under `issuers`. */
export interface VerifierOptions extends SharedOptions, IssuerOptions {}

export interface JwksOptions {
  /**
   * How long a fetched set is used before refresh, seconds, when the response has no
   * `Cache-Control: max-age` (which is honoured, clamped to [60, 86400]).
   * @default 600
   */
  cacheMaxAge?: number;
  /**
   * Wait after a fetch that an unknown `kid` triggered, or that failed, before the next one,
   * seconds, from the end of the attempt. After a routine fetch (startup, or an expired set) an
   * unknown `kid` may trigger one after 5 s, or this, if shorter.
   * @default 30
   */
  cooldown?: number;
  /**
   * Whole-response timeout in milliseconds, body included.
   * @default 5000
   */
  timeout?: number;
  /**
   * Largest accepted response body in bytes.
   * @default 1048576
   */
  maxResponseBytes?: number;
  /**
   * How long after its fetch a set keeps serving while refreshes fail, seconds.
   * @default 86400
   */
  maxStale?: number;
  /** A fetch implementation (tests, proxies). @default the global `fetch` */
  fetch?: typeof fetch;
  /**
   * A key cache saved earlier by `verifier.exportKeys()`, so the first request needs no fetch:
   * the verifier starts as if it had fetched those documents when they were fetched, and
   * refreshes them as usual afterwards (max age, `maxStale`, an unknown `kid`).
   * @default none: the first request that needs a key fetches it
   */
  seed?: KeyCacheSnapshot;
}

export interface ResultCacheOptions {
  /** Most entries kept. @default 1000 */
  maxEntries?: number;
  /** Longest an entry is trusted, seconds. @default 600 (the key cache's default age) */
  maxAge?: number;
}

export interface MtlsOptions {
  /** Refuse every token that is not certificate-bound. @default false */
  required?: boolean;
  /**
   * Read the client certificate from this request header (URL-encoded PEM of the leaf, as nginx's
   * `$ssl_client_escaped_cert` or AWS ALB's `X-Amzn-Mtls-Clientcert` carry it) instead of the
   * TLS socket. Set it only when every request reaches the app through that edge and the edge
   * overwrites the header: anyone who can reach the app directly could otherwise claim any
   * certificate, and certificates are public.
   * @default none: the certificate comes from the TLS socket
   */
  certificateHeader?: string;
}

export interface DpopOptions {
  /** Accept only DPoP-bound tokens with the DPoP scheme; Bearer is no longer offered. @default false */
  required?: boolean;
  /**
   * Proof algorithms accepted (asymmetric only).
   * @default ['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519']
   */
  algorithms?: string[];
  /** Seconds a proof's `iat` may be from now, either way. @default 60 */
  iatWindow?: number;
  /** Server-provided nonces: `{ secret, lifetime? }` or your own `{ current(), isValid() }`. @default none */
  nonce?: DpopNonceOption;
  /** Where proof `jti`s are remembered. @default a bounded in-memory store per verifier */
  replayStore?: ReplayStore;
}

export type IntrospectionAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface IntrospectionOptions {
  /**
   * The introspection endpoint.
   * @default the issuer metadata's `introspection_endpoint` (OpenID Connect discovery, then RFC 8414)
   */
  endpoint?: string;
  /** This API's client id at the authorization server. */
  clientId: string;
  /** The client secret, for `client_secret_basic` and `client_secret_post`. @default none */
  clientSecret?: string;
  /**
   * The private key for `private_key_jwt` (RFC 7523 client assertion), as a private JWK; its
   * `alg` names the algorithm (else RS256 for RSA, ES256/ES384/ES512 by curve, EdDSA for OKP).
   * @default none
   */
  privateKey?: JWK;
  /**
   * How this API authenticates to the endpoint.
   * @default 'private_key_jwt' when `privateKey` is set, else 'client_secret_basic'
   */
  authMethod?: IntrospectionAuthMethod;
  /**
   * Whole-response timeout in milliseconds, body included.
   * @default 5000
   */
  timeout?: number;
  /**
   * Largest accepted response body in bytes.
   * @default 65536
   */
  maxResponseBytes?: number;
  /**
   * `opaque`: tokens that are not JWTs are introspected, JWTs are verified locally. `all`: every
   * token is introspected (revocation seen within the cache's `maxAge`); a JWT is still verified
   * locally first, so the endpoint is asked only about genuine tokens.
   * @default 'opaque'
   */
  mode?: 'opaque' | 'all';
  /** The cache of introspection results, keyed by the token's SHA-256. @default `{ maxEntries: 1000, maxAge: 60, negativeMaxAge: 10 }` */
  cache?: IntrospectionCacheOptions;
  /**
   * DANGEROUS, read before enabling. When the endpoint cannot answer (down, slow, 5xx, malformed,
   * our credentials refused), accept what can still be vouched for instead of answering 503: a
   * JWT on its local verification alone (`mode: 'all'`), an opaque token on its last active
   * result still held by the cache, however old (up to its `exp`). A revoked token is then
   * accepted for as long as the outage lasts. An opaque token never seen before is still a 503:
   * nothing is ever accepted unverified.
   * @default false
   */
  failOpen?: boolean;
  /**
   * Ask for signed responses (RFC 9701, `Accept: application/token-introspection+jwt`) and
   * verify them with the issuer's keys (the verifier's key source and `algorithms`); a plain
   * JSON answer is then refused (503).
   * @default false
   */
  signedResponses?: boolean;
  /** A fetch implementation (tests, proxies). @default the global `fetch` */
  fetch?: typeof fetch;
  /** Called for every introspected token: cache hits and misses, endpoint latency. @default none */
  onEvent?: (event: IntrospectionEvent) => void;
}

export interface IntrospectionCacheOptions {
  /** Most active results kept; as many inactive ones are kept apart. @default 1000 */
  maxEntries?: number;
  /**
   * Longest an active result is trusted, seconds (never past the token's `exp`): a revoked token
   * is refused at most this long after its revocation.
   * @default 60
   */
  maxAge?: number;
  /** Longest an inactive (or refused) result is remembered, seconds. @default 10 */
  negativeMaxAge?: number;
}

/** What `introspection.onEvent` hears about one token (never the token itself). */
export type IntrospectionEvent =
  | { kind: 'hit'; active: boolean }
  | { kind: 'coalesced' }
  | { kind: 'miss'; active: boolean | undefined; durationMs: number; failure?: string };

/**
 * The names `createVerifier` knows, by the object they belong to. A key is typed against its
 * interface, so a renamed option cannot be forgotten here.
 */
const KNOWN: { [Section in 'verifier' | 'issuer' | 'claims' | 'issuerCache' | 'jwks' | 'resultCache' | 'mtls' | 'dpop' | 'introspection' | 'resourceMetadata' | 'hooks']: readonly string[] } = {
  verifier: names<VerifierOptions>()([
    'issuer', 'domain', 'audience', 'clientId', 'jwksUri', 'keys', 'secret', 'algorithms', 'dialect', 'claims', 'clockTolerance',
    'maxTokenAge', 'realm', 'tokenLocations', 'tokenHeader', 'tokenCookie', 'maxTokenLength', 'hooks', 'jwks', 'resultCache', 'decryptionKeys',
    'keyManagementAlgorithms', 'contentEncryptionAlgorithms', 'requireEncryption', 'mtls', 'dpop', 'issuers', 'issuerCache',
    'introspection', 'isRevoked', 'resourceMetadata',
  ]),
  issuer: names<IssuerOptions>()(['issuer', 'audience', 'clientId', 'jwksUri', 'keys', 'secret', 'algorithms', 'dialect', 'claims', 'jwks']),
  claims: names<ClaimMapping>()(['scopes', 'permissions']),
  issuerCache: names<IssuerCacheOptions>()(['maxEntries', 'maxAge']),
  jwks: names<JwksOptions>()(['cacheMaxAge', 'cooldown', 'timeout', 'maxResponseBytes', 'maxStale', 'fetch', 'seed']),
  resultCache: names<ResultCacheOptions>()(['maxEntries', 'maxAge']),
  mtls: names<MtlsOptions>()(['required', 'certificateHeader']),
  dpop: names<DpopOptions>()(['required', 'algorithms', 'iatWindow', 'nonce', 'replayStore']),
  introspection: names<IntrospectionOptions>()([
    'endpoint', 'clientId', 'clientSecret', 'privateKey', 'authMethod', 'timeout', 'maxResponseBytes', 'mode', 'cache',
    'failOpen', 'signedResponses', 'fetch', 'onEvent',
  ]),
  resourceMetadata: names<ResourceMetadataOptions>()([
    'resource', 'authorizationServers', 'scopesSupported', 'bearerMethodsSupported', 'resourceSigningAlgValuesSupported',
    'resourceDocumentation', 'resourceName', 'dpopBoundAccessTokensRequired', 'tlsClientCertificateBoundAccessTokens', 'extra', 'maxAge',
  ]),
  hooks: names<VerifierHooks>()(['verified', 'refused', 'unavailable', 'keysFetched', 'keysFetchFailed', 'resultCacheHit', 'resultCacheMiss']),
};

/** The top-level names that describe one issuer, which `issuers` replaces. */
/** `introspection.cache` is checked by the same rule (a section of a section). */
const INTROSPECTION_CACHE_OPTIONS = names<IntrospectionCacheOptions>()(['maxEntries', 'maxAge', 'negativeMaxAge']);

export const ISSUER_OPTION_NAMES: readonly string[] = KNOWN.issuer;

/** Lists every key of `T`, checked by the compiler both ways (none missing, none extra). */
function names<T>() {
  return <const L extends ReadonlyArray<keyof T>>(list: L & ([keyof T] extends [L[number]] ? unknown : never)): readonly string[] => list as readonly string[];
}

/**
 * A `TypeError` for the first option name `createVerifier` does not know, at the top level or in
 * a nested section, naming the closest known one when there is one.
 */
export function refuseUnknownOptions(options: object): void {
  checkNames(options, KNOWN.verifier, '');
  for (const section of ['claims', 'issuerCache', 'jwks', 'resultCache', 'mtls', 'dpop', 'introspection', 'resourceMetadata', 'hooks'] as const) {
    const value = (options as Record<string, unknown>)[section];
    if (typeof value === 'object' && value !== null) checkNames(value, KNOWN[section], `${section}.`);
  }
  const cache = (options as { introspection?: { cache?: unknown } }).introspection?.cache;
  if (typeof cache === 'object' && cache !== null) checkNames(cache, INTROSPECTION_CACHE_OPTIONS, 'introspection.cache.');
  const { issuers } = options as { issuers?: unknown };
  if (Array.isArray(issuers)) issuers.forEach((entry, index) => refuseUnknownIssuerOptions(entry, `issuers[${index}].`));
}

/**
 * The same for one issuer's options (an entry of `issuers`, or a resolver's answer): the
 * shared options (`realm`, `dpop`…) are refused there, naming where they belong.
 */
export function refuseUnknownIssuerOptions(entry: unknown, prefix: string): void {
  if (typeof entry !== 'object' || entry === null) return;
  for (const name of Object.keys(entry)) {
    if (!KNOWN.issuer.includes(name) && KNOWN.verifier.includes(name)) {
      throw new TypeError(`\`${prefix}${name}\` is shared by every issuer: set it at the top level of the options, not per issuer`);
    }
  }
  checkNames(entry, KNOWN.issuer, prefix);
  for (const section of ['claims', 'jwks'] as const) {
    const value = (entry as Record<string, unknown>)[section];
    if (typeof value === 'object' && value !== null) checkNames(value, KNOWN[section], `${prefix}${section}.`);
  }
}

function checkNames(given: object, known: readonly string[], prefix: string): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue;
    const closest = closestName(name, known);
    const hint = closest === undefined ? `; known options: ${known.join(', ')}` : `; did you mean \`${prefix}${closest}\`?`;
    throw new TypeError(`unknown option \`${prefix}${name}\`${hint}`);
  }
}

/** The known name within a third of the name's length in edits (Levenshtein), if any. */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
