/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells a client which
 * authorization server issues tokens for this API and how to present them. MCP clients start from
 * a bare 401, follow its `resource_metadata` link here, then ask that server for a token for
 * `resource` (RFC 8707). Built once, at construction, from the `resourceMetadata` option and what
 * the other options already say; `authenticate` answers requests for it before authenticating.
 */
import type { TokenLocation } from './credentials.js';
import type { ErrorResponse } from './errors.js';
import type { IssuerOptions, ResourceMetadataOptions, VerifierOptions } from './options.js';
import type { Answered } from './outcome.js';
import type { RequestLike } from './types.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The RFC 9728 §2 members the options set (or derive): `extra` may add others, never replace these. */
const OWN_MEMBERS = [
  'resource',
  'authorization_servers',
  'scopes_supported',
  'bearer_methods_supported',
  'resource_signing_alg_values_supported',
  'resource_name',
  'resource_documentation',
  'tls_client_certificate_bound_access_tokens',
  'dpop_signing_alg_values_supported',
  'dpop_bound_access_tokens_required',
];

export interface ResourceMetadata {
  /** The resource identifier: what clients ask tokens for, and the tokens' audience. */
  readonly resource: string;
  /** Where the document is served (RFC 9728 §3.1): what every challenge's `resource_metadata` names. */
  readonly url: string;
  /** The document, snake_case members as served. */
  readonly document: Readonly<Record<string, unknown>>;
  /** The outcome for a GET or HEAD of the document; `undefined` for any other request. */
  answer(request: RequestLike): Answered | undefined;
}

/**
 * What the verifier's other options say, which the document's defaults come from; `undefined`
 * where they cannot say (an `issuers` resolver function names its issuers only when asked).
 */
export interface ResourceMetadataDefaults {
  issuers: readonly string[] | undefined;
  audiences: readonly string[] | undefined;
  algorithms: readonly string[] | undefined;
  locations: ReadonlySet<TokenLocation>;
  dpopAlgorithms: readonly string[] | undefined;
}

/** The defaults of a verifier with one issuer, or with a list of them (their union). */
export function resourceMetadataDefaults(options: VerifierOptions, locations: ReadonlySet<TokenLocation>, dpopAlgorithms: readonly string[] | undefined): ResourceMetadataDefaults {
  if (typeof options.issuers === 'function') return { issuers: undefined, audiences: undefined, algorithms: undefined, locations, dpopAlgorithms };
  const entries: IssuerOptions[] = Array.isArray(options.issuers) ? options.issuers : [options];
  const union = (values: Array<string | readonly string[] | undefined>) => [...new Set(values.flatMap((value) => (value === undefined ? [] : typeof value === 'string' ? [value] : [...value])))];
  return {
    issuers: union(entries.map((entry) => entry.issuer)),
    audiences: union(entries.map((entry) => entry.audience)),
    algorithms: union(entries.map((entry) => entry.algorithms ?? ['RS256'])),
    locations,
    dpopAlgorithms,
  };
}

/** `undefined` when the option is not set; a `TypeError` for a setting that cannot be served. */
export function createResourceMetadata(options: VerifierOptions, defaults: ResourceMetadataDefaults): ResourceMetadata | undefined {
  const given = options.resourceMetadata;
  if (given === undefined) return undefined;
  if (given === null || typeof given !== 'object') throw new TypeError('`resourceMetadata` must be an object (`{}` derives every member)');

  const resource = resourceIdentifier(given, defaults.audiences);
  const document = buildDocument(given, resource, options, defaults);
  const { origin, pathname } = new URL(resource);
  // RFC 9728 §3.1: the well-known segment goes between the host and the path; a path of just "/"
  // is the terminating slash, removed.
  const path = pathname === '/' ? '' : pathname;
  const url = `${origin}${WELL_KNOWN}${path}`;
  // The path-inserted form, and the plain one that clients try when they know only the origin.
  const paths = new Set([`${WELL_KNOWN}${path}`, WELL_KNOWN]);

  const maxAge = given.maxAge ?? 3600;
  if (!(Number.isInteger(maxAge) && maxAge >= 0)) throw new TypeError('`resourceMetadata.maxAge` must be a whole number of seconds >= 0');
  const headers = {
    'content-type': 'application/json',
    'cache-control': `public, max-age=${maxAge}`,
    // A public document: browser-based clients (MCP inspectors, web agents) read it cross-origin.
    'access-control-allow-origin': '*',
  };
  const body = JSON.stringify(document);
  const get: Answered = Object.freeze({ kind: 'answered', response: response(headers, body) });
  const head: Answered = Object.freeze({ kind: 'answered', response: response(headers, '') });

  return {
    resource,
    url,
    document,
    answer(request) {
      const method = request.method;
      if (method !== 'GET' && method !== 'HEAD') return undefined;
      const path = pathOf(request);
      return path !== undefined && paths.has(path) ? (method === 'GET' ? get : head) : undefined;
    },
  };
}

function response(headers: Record<string, string>, body: string): ErrorResponse {
  return Object.freeze({ status: 200, headers: Object.freeze({ ...headers }), body }) as ErrorResponse;
}

/**
 * The request's path without its query: the adapter's cheap `path` when it has one, else from
 * `url`; `undefined` for a URL that does not parse (then it is no request for the document).
 */
function pathOf(request: RequestLike): string | undefined {
  const path = request.path ?? (URL.canParse(request.url, 'http://localhost') ? new URL(request.url, 'http://localhost').pathname : undefined);
  if (typeof path !== 'string') return undefined;
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

function resourceIdentifier(given: ResourceMetadataOptions, audiences: readonly string[] | undefined): string {
  const resource = given.resource ?? (audiences?.length === 1 && isUrl(audiences[0] as string) ? audiences[0] : undefined);
  if (resource === undefined) {
    throw new TypeError('`resourceMetadata.resource` is needed: `audience` is not a single URL to take it from');
  }
  if (typeof resource !== 'string' || !isUrl(resource)) throw new TypeError('`resourceMetadata.resource` must be an absolute URL');
  const url = new URL(resource);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new TypeError('`resourceMetadata.resource` must be an https URL (http only on loopback, for development)');
  }
  if (resource.includes('#') || url.search !== '') throw new TypeError('`resourceMetadata.resource` must have no query and no fragment');
  // RFC 8707: clients ask for tokens for this exact string, so it is what their `aud` will say.
  // A resource the audience does not list would make every token obtained for it fail.
  // (An `issuers` resolver's audiences are not known until asked: then this is up to the user.)
  if (audiences !== undefined && !audiences.includes(resource)) {
    throw new TypeError(
      `\`resourceMetadata.resource\` ${JSON.stringify(resource)} is not one of \`audience\` ${JSON.stringify(audiences)}: tokens issued for it carry it as \`aud\`, exactly (a trailing slash counts)`,
    );
  }
  return resource;
}

function buildDocument(given: ResourceMetadataOptions, resource: string, options: VerifierOptions, defaults: ResourceMetadataDefaults): Record<string, unknown> {
  const document: Record<string, unknown> = {
    resource,
    authorization_servers: stringList(given.authorizationServers ?? defaults.issuers ?? missing('authorizationServers'), 'authorizationServers'),
  };
  if (given.scopesSupported !== undefined) document.scopes_supported = stringList(given.scopesSupported, 'scopesSupported', true);
  document.bearer_methods_supported = stringList(given.bearerMethodsSupported ?? [...defaults.locations], 'bearerMethodsSupported');
  const algorithms = given.resourceSigningAlgValuesSupported ?? defaults.algorithms;
  if (algorithms !== undefined) document.resource_signing_alg_values_supported = stringList(algorithms, 'resourceSigningAlgValuesSupported');
  if (given.resourceName !== undefined) document.resource_name = text(given.resourceName, 'resourceName');
  if (given.resourceDocumentation !== undefined) {
    if (!isUrl(given.resourceDocumentation)) throw new TypeError('`resourceMetadata.resourceDocumentation` must be an absolute URL');
    document.resource_documentation = given.resourceDocumentation;
  }
  const mtls = given.tlsClientCertificateBoundAccessTokens ?? (options.mtls ? options.mtls.required === true : undefined);
  if (mtls !== undefined) document.tls_client_certificate_bound_access_tokens = flag(mtls, 'tlsClientCertificateBoundAccessTokens');
  if (defaults.dpopAlgorithms) document.dpop_signing_alg_values_supported = [...defaults.dpopAlgorithms];
  const dpop = given.dpopBoundAccessTokensRequired ?? (options.dpop ? options.dpop.required === true : undefined);
  if (dpop !== undefined) document.dpop_bound_access_tokens_required = flag(dpop, 'dpopBoundAccessTokensRequired');
  if (given.extra !== undefined) {
    if (given.extra === null || typeof given.extra !== 'object' || Array.isArray(given.extra)) throw new TypeError('`resourceMetadata.extra` must be an object');
    for (const [name, value] of Object.entries(given.extra)) {
      if (OWN_MEMBERS.includes(name)) throw new TypeError(`\`resourceMetadata.extra\` may not set \`${name}\`: use its own option`);
      document[name] = value;
    }
  }
  // Fails here, at startup, for a value JSON cannot carry (a BigInt, a cycle).
  JSON.stringify(document);
  return Object.freeze(document);
}

function missing(name: string): never {
  throw new TypeError(`\`resourceMetadata.${name}\` is needed: an \`issuers\` resolver names no issuer to take it from`);
}

function stringList(value: unknown, name: string, emptyAllowed = false): string[] {
  if (!Array.isArray(value) || (!emptyAllowed && value.length === 0) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`\`resourceMetadata.${name}\` must be an array of non-empty strings`);
  }
  return [...value];
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`\`resourceMetadata.${name}\` must be a non-empty string`);
  return value;
}

function flag(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`\`resourceMetadata.${name}\` must be a boolean`);
  return value;
}

function isUrl(value: string): boolean {
  try {
    new URL(value);
    return /^https?:\/\//i.test(value);
  } catch {
    return false;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
