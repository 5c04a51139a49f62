/** Types shared by the pipeline's steps and the public contract (see docs/architecture.md). */
/**
 * A JSON Web Key (RFC 7517 §4, RFC 7518 §6): the members this library reads, and any other.
 * Our own type, not jose's, so the published types need no jose installed (it is built in).
 */
export interface JWK {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  d?: string;
  k?: string;
  x5c?: string[];
  x5t?: string;
  'x5t#S256'?: string;
  x5u?: string;
  [member: string]: unknown;
}

export interface JSONWebKeySet {
  keys: JWK[];
}

/** Vendor token shapes, each as its vendor documents its access tokens (README, "Issuers"). */
export type VendorDialect = 'cognito' | 'entra' | 'okta' | 'keycloak';

export type Dialect = 'auth0' | 'rfc9068' | 'any' | VendorDialect;

/** The dialect whose rules a token met (`generic` is `any` for a token without `typ: at+jwt`). */
export type MetDialect = 'auth0' | 'rfc9068' | 'generic' | VendorDialect;

export type Binding = 'bearer' | 'mtls' | 'dpop';

export interface JWTHeader {
  alg: string;
  kid?: string;
  typ?: string;
  cty?: string;
  crit?: string[];
  [name: string]: unknown;
}

export interface JWTClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  azp?: string;
  client_id?: string;
  scope?: string;
  permissions?: string[];
  cnf?: { 'x5t#S256'?: string; jkt?: string; [name: string]: unknown };
  [name: string]: unknown;
}

export interface AuthResult {
  /** The compact signed JWT (the inner one for an encrypted token). */
  token: string;
  /** The issuer the token was verified for: its `iss` (the tenant's own issuer under a template). */
  issuer: string;
  header: JWTHeader;
  claims: JWTClaims;
  subject: string | undefined;
  clientId: string | undefined;
  scopes: string[];
  permissions: string[];
  dialect: MetDialect;
  binding: Binding;
  /** True when the token arrived as a JWE and was decrypted. */
  encrypted: boolean;
  /** `exp`: when the token expires, seconds since the epoch (the MCP SDK's `AuthInfo.expiresAt`). */
  readonly expiresAt: number | undefined;
  /**
   * The resource this token was issued for (RFC 8707): `resourceMetadata.resource` when set, else
   * the configured audience the token's `aud` matched, when that is a URL.
   */
  readonly resource: URL | undefined;
}

/** The request as the core sees it; adapters translate their host's request into this. */
export interface RequestLike {
  method: string;
  /** Absolute URL of the request as the client addressed it (scheme, host, path). */
  url: string;
  /**
   * The path (and query) as the client sent it, when the host has it cheaper than `url`. Read only
   * to recognise a request for the Protected Resource Metadata. @default taken from `url`
   */
  path?: string;
  /** Header names in any case; a repeated header as an array. */
  headers: Record<string, string | string[] | undefined> | Headers;
  /** DER or PEM of the client's leaf certificate, when TLS ended in this process. */
  clientCertificate?: Uint8Array | string;
  /** Form body fields, only consulted when `tokenLocations` includes `body`. */
  body?: Record<string, unknown>;
}

/** Extra context for `verifier.verify(token, context)`. */
export interface VerifyContext {
  /** The scheme the token came with; `DPoP` requires a proof. Default `Bearer`. */
  scheme?: 'Bearer' | 'DPoP';
  method?: string;
  url?: string;
  /** The `DPoP` header value. */
  dpopProof?: string;
  /** DER or PEM of the presented client certificate. */
  clientCertificate?: Uint8Array | string;
  /** The request headers, for a certificate forwarded by a trusted edge. */
  headers?: RequestLike['headers'];
}

export type { JwksOptions } from './options.js';

/** Where verification keys come from. The remote source answers from its cache synchronously. */
export interface KeySource {
  /**
   * The key for this token header. Returns the key itself (no promise) whenever it can answer
   * from memory, so the hot path stays synchronous; throws or rejects with `AccessTokenError`
   * (no such key) or `KeysUnavailableError` (could not fetch).
   */
  getKey(header: JWTHeader): JWK | Promise<JWK>;
  /** Obtains the keys now (`verifier.ready()`), rejecting with the precise failure. */
  ready?(): Promise<void>;
  /**
   * Resolves once keys are in hand (fetching them now if none are usable), or rejects with the
   * `KeysUnavailableError` a request would get. Absent: the source needs no network.
   */
  ready?(): Promise<void>;
  /**
   * Whether `key`, returned earlier by `getKey`, would still be: false once a refresh has
   * withdrawn it, or while the set is due for one. Cached results die with their key through
   * it. A source whose keys never change leaves it out.
   */
  isCurrent?(key: JWK): boolean;
}
