/**
 * Errors are data: every refusal is an `AccessTokenError` (4xx) and every failure of ours is a
 * `KeysUnavailableError` (503). Both extend `GuardError`, which carries what an adapter needs to
 * answer: `status`, `headers` and a JSON `body`, or all three at once as `response`.
 * `description` (also the `message`) is safe to send to a client, so a framework's default error
 * handler that prints `message` leaks nothing; `reason` is the detailed account for logs and may
 * name URLs or claims. Errors are immutable: the verifier that raises one builds it complete, with
 * its challenge settings (`withContext` makes a completed copy, never a patched original).
 */

/**
 * RFC 6750 §3.1, RFC 9449 §7.1 and RFC 9470 §3 codes, plus `missing_credentials` (no error code
 * on the wire).
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'missing_credentials';

export type AuthScheme = 'Bearer' | 'DPoP';

/** How a verifier introduces itself in `WWW-Authenticate`; set once per verifier. */
export interface ChallengeOptions {
  realm?: string;
  /** Schemes this API accepts, in the order their challenges are sent. */
  schemes: readonly AuthScheme[];
  /** Algorithms advertised in the DPoP challenge (`algs`). */
  dpopAlgorithms?: readonly string[];
  /**
   * The URL of this API's Protected Resource Metadata (RFC 9728 §5.1), sent as `resource_metadata`
   * in every challenge so a client can find out where to get a token.
   */
  resourceMetadata?: string;
}

export const DEFAULT_CHALLENGE: ChallengeOptions = Object.freeze({ schemes: ['Bearer'] as const });

export abstract class GuardError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly description: string;
  readonly reason: string;

  constructor(description: string, reason: string, options?: { cause?: unknown }) {
    super(description, options);
    this.name = new.target.name;
    this.description = description;
    this.reason = reason;
  }

  /** The same as `status`, for hosts and error handlers that read `statusCode` (Fastify). */
  get statusCode(): number {
    return this.status;
  }

  /** Response headers an adapter must send with this error. */
  abstract get headers(): Record<string, string>;

  /** The JSON body an adapter sends: `{ error, error_description }`. */
  get body(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }

  /** The whole answer, ready for any host: lower-case header names, the body as JSON text. */
  get response(): ErrorResponse {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(this.headers)) headers[name.toLowerCase()] = value;
    return { status: this.status, headers, body: JSON.stringify(this.body) };
  }
}

/**
 * What a host sends for a refusal, for our 503, or for a document the verifier answers itself
 * (the `answered` outcome).
 */
export interface ErrorResponse {
  status: number;
  /** Lower-case names: `www-authenticate`, `retry-after`, `dpop-nonce`, `content-type`, `cache-control`. */
  headers: Record<string, string>;
  /** `{ error, error_description }` (or the document) as JSON text. */
  body: string;
}

export interface AccessTokenErrorInit {
  /** Scopes or permissions the route needs (`insufficient_scope` only). */
  scope?: readonly string[];
  /** The scheme the request used; the error goes in that scheme's challenge. */
  scheme?: AuthScheme;
  /** A fresh DPoP nonce to send in `DPoP-Nonce` (`use_dpop_nonce`, or any DPoP error). */
  dpopNonce?: string;
  /** Authentication context classes the route accepts (`insufficient_user_authentication`, RFC 9470). */
  acrValues?: readonly string[];
  /** Seconds since the user's authentication the route accepts (`insufficient_user_authentication`). */
  maxAge?: number;
  /** The realm and schemes of the verifier that refused; default: `Bearer`, no realm. */
  challenge?: ChallengeOptions;
  cause?: unknown;
}

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  insufficient_user_authentication: 401,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  missing_credentials: 401,
};

/** A refused request: the token, the proof or the request is at fault. */
export class AccessTokenError extends GuardError {
  readonly code: ErrorCode;
  readonly status: number;
  readonly scope?: readonly string[];
  readonly scheme?: AuthScheme;
  readonly dpopNonce?: string;
  readonly acrValues?: readonly string[];
  readonly maxAge?: number;
  /** The verifier's challenge settings, so the challenge names its realm and schemes. */
  readonly challenge: ChallengeOptions;

  constructor(code: ErrorCode, description: string, reason: string = description, init: AccessTokenErrorInit = {}) {
    super(description, reason, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = STATUS[code];
    this.scope = init.scope;
    this.scheme = init.scheme;
    this.dpopNonce = init.dpopNonce;
    this.acrValues = init.acrValues;
    this.maxAge = init.maxAge;
    this.challenge = init.challenge ?? DEFAULT_CHALLENGE;
  }

  /**
   * This refusal as the verifier answers it: with its challenge settings, and in the scheme the
   * request used unless the step that raised it already named one. A new error; this one is kept.
   */
  withContext(challenge: ChallengeOptions, scheme: AuthScheme | undefined): AccessTokenError {
    return new AccessTokenError(this.code, this.description, this.reason, {
      scope: this.scope,
      scheme: this.scheme ?? scheme,
      dpopNonce: this.dpopNonce,
      acrValues: this.acrValues,
      maxAge: this.maxAge,
      challenge,
      cause: this.cause,
    });
  }

  /** The `WWW-Authenticate` value: one challenge per accepted scheme (RFC 6750 §3, RFC 9449 §7.1). */
  get wwwAuthenticate(): string {
    const { schemes, realm, dpopAlgorithms, resourceMetadata } = this.challenge;
    // The error goes in the challenge of the scheme the request used; with no scheme known it
    // goes in the first (Bearer unless the API accepts DPoP only).
    const errorScheme = this.scheme && schemes.includes(this.scheme) ? this.scheme : schemes[0];
    return schemes
      .map((scheme) => {
        const params: string[] = [];
        if (realm !== undefined) params.push(param('realm', realm));
        if (scheme === 'DPoP' && dpopAlgorithms?.length) params.push(param('algs', dpopAlgorithms.join(' ')));
        if (scheme === errorScheme && this.code !== 'missing_credentials') {
          params.push(param('error', this.code), param('error_description', this.description));
          if (this.scope?.length) params.push(param('scope', this.scope.join(' ')));
          if (this.acrValues?.length) params.push(param('acr_values', this.acrValues.join(' ')));
          if (this.maxAge !== undefined) params.push(param('max_age', String(this.maxAge)));
        }
        if (resourceMetadata !== undefined) params.push(param('resource_metadata', resourceMetadata));
        return params.length ? `${scheme} ${params.join(', ')}` : scheme;
      })
      .join(', ');
  }

  get headers(): Record<string, string> {
    const headers: Record<string, string> = { 'WWW-Authenticate': this.wwwAuthenticate };
    if (this.dpopNonce !== undefined) headers['DPoP-Nonce'] = this.dpopNonce;
    return headers;
  }
}

/** We could not obtain keys (or issuer metadata): our failure, never the client's. */
export class KeysUnavailableError extends GuardError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable';
  /** Seconds until the key source may try again. */
  readonly retryAfter: number;

  constructor(reason: string, retryAfter: number, options?: { cause?: unknown }) {
    super('The service cannot verify access tokens right now; try again later.', reason, options);
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }

  get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }
}

// RFC 7235 quoted-string: backslash-escape `"` and `\`; drop control characters so a
// description can never split the header, and anything outside printable ASCII (RFC 6750 §3
// allows no more), which Node and Fetch would refuse to send at all.
function param(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = value.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/[^\x20-\x7e]/gu, '?');
  return `${name}="${printable.replace(/["\\]/g, '\\$&')}"`;
}

/** Shorthands for the errors the pipeline raises most. */
export const invalidToken = (description: string, reason: string = description, init?: AccessTokenErrorInit) =>
  new AccessTokenError('invalid_token', description, reason, init);

export const invalidRequest = (description: string, reason: string = description, init?: AccessTokenErrorInit) =>
  new AccessTokenError('invalid_request', description, reason, init);

export function isGuardError(value: unknown): value is GuardError {
  return value instanceof GuardError;
}
