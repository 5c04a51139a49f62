/**
 * Token introspection (RFC 7662), the optional step behind the `introspection` option
 * (src/token-status.ts decides which tokens come here): an opaque token is sent to the issuer's
 * introspection endpoint, the answer checked like the claims of a JWT and cached by the token's
 * hash; with `mode: 'all'` a locally verified JWT is confirmed still active too.
 *
 * Every failure to learn the answer is our 503 (`TokenStatusUnavailableError`), unless
 * `failOpen` says otherwise (see its TSDoc in src/options.ts).
 */
import { base64url } from 'jose';
import type { CryptoBackend } from '../crypto/types.js';
import type { IssuerPipeline } from '../issuers.js';
import { AccessTokenError } from '../errors.js';
import type { Introspector } from '../token-status.js';
import { fetchBody, FetchJsonError, parseJson } from '../keys/fetch-json.js';
import type { IntrospectionEvent, IntrospectionOptions, VerifierOptions } from '../options.js';
import type { VerifiedToken } from '../result-cache.js';
import type { AuthResult, JWTClaims } from '../types.js';
import { IntrospectionCache } from './cache.js';
import { createClientAuthentication, type ClientAuthentication } from './client-auth.js';
import { createEndpointSource, type EndpointSource } from './endpoint.js';
import { TokenStatusUnavailableError } from './errors.js';
import { evaluateAnswer, inactive, MalformedAnswer, NO_HEADER, readAnswer, readSignedAnswer, SIGNED_RESPONSE_TYPE } from './response.js';

export { TokenStatusUnavailableError } from './errors.js';

export const INTROSPECTION_DEFAULTS = Object.freeze({ timeout: 5000, maxResponseBytes: 64 * 1024 });
/** Seconds a client is asked to wait after we could not learn a token's status. */
export const RETRY_AFTER = 5;

type Answer = JWTClaims & { active: boolean };

/** The introspection step: validates `introspection` once (a TypeError on misuse). */
export function createIntrospector(options: IntrospectionOptions, pipeline: IssuerPipeline, dialect: VerifierOptions['dialect'], backend: CryptoBackend): Introspector {
  const { issuer, signature } = pipeline;
  if (options === null || typeof options !== 'object') throw new TypeError('`introspection` must be an object');
  const mode = options.mode ?? 'opaque';
  if (mode !== 'opaque' && mode !== 'all') throw new TypeError('`introspection.mode` must be "opaque" or "all"');
  const timeout = positive(options.timeout ?? INTROSPECTION_DEFAULTS.timeout, 'timeout');
  const maxBytes = positive(options.maxResponseBytes ?? INTROSPECTION_DEFAULTS.maxResponseBytes, 'maxResponseBytes');
  const failOpen = options.failOpen ?? false;
  if (typeof failOpen !== 'boolean') throw new TypeError('`introspection.failOpen` must be a boolean');
  const signed = options.signedResponses ?? false;
  if (typeof signed !== 'boolean') throw new TypeError('`introspection.signedResponses` must be a boolean');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new TypeError('`introspection.onEvent` must be a function');
  const authenticate: ClientAuthentication = createClientAuthentication(options, issuer);
  const endpoint: EndpointSource = createEndpointSource(options.endpoint, issuer, { timeout, maxBytes, fetch: options.fetch });
  const cache = new IntrospectionCache(options.cache);
  const clientId = options.clientId;

  const report = (event: IntrospectionEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A diagnostics hook that throws must not decide a request.
    }
  };

  /** One request to the endpoint: the checked answer, or our 503. */
  async function ask(token: string): Promise<Answer> {
    try {
      const url = await endpoint();
      const credentials = await authenticate();
      const body = await fetchBody(url, {
        timeout,
        maxBytes,
        fetch: options.fetch,
        form: { token, token_type_hint: 'access_token', ...credentials.form },
        headers: { accept: signed ? SIGNED_RESPONSE_TYPE : 'application/json', ...credentials.headers },
      });
      if (!signed) return readAnswer(parseJson(body.bytes, url));
      if (body.contentType !== SIGNED_RESPONSE_TYPE) throw new MalformedAnswer(`a signed answer was asked for and the endpoint sent ${JSON.stringify(body.contentType || 'no content type')}`);
      const jws = signature.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.bytes).trim());
      await signature.check(jws);
      return readSignedAnswer(jws.header, backend.decodeBase64UrlText(jws.payload), issuer, clientId);
    } catch (error) {
      throw unavailable(error);
    }
  }

  /**
   * The cached answer for `token`, or one introspection shared by every concurrent caller.
   * `evaluate` turns an answer into the result (or throws the refusal); `expiry` says when the
   * result stops being usable (ms since the epoch).
   */
  function lookup(token: string, evaluate: (answer: Answer) => VerifiedToken, expiry: (verified: VerifiedToken) => number): VerifiedToken | Promise<VerifiedToken> {
    const digest = backend.sha256(backend.utf8Bytes(token));
    if (digest instanceof Promise) return digest.then((bytes) => lookupHashed(base64url.encode(bytes), token, evaluate, expiry));
    return lookupHashed(base64url.encode(digest), token, evaluate, expiry);
  }

  function lookupHashed(key: string, token: string, evaluate: (answer: Answer) => VerifiedToken, expiry: (verified: VerifiedToken) => number): VerifiedToken | Promise<VerifiedToken> {
    const cached = cache.get(key);
    if (cached instanceof Error) {
      report({ kind: 'hit', active: false });
      throw cached;
    }
    if (cached !== undefined) {
      report({ kind: 'hit', active: true });
      return cached;
    }
    const inflight = cache.inflight.get(key);
    if (inflight !== undefined) {
      report({ kind: 'coalesced' });
      return inflight;
    }
    const started = performance.now();
    const pending = ask(token).then(
      (answer) => {
        let verified: VerifiedToken;
        try {
          verified = evaluate(answer);
        } catch (refusal) {
          report({ kind: 'miss', active: answer.active, durationMs: performance.now() - started });
          if (refusal instanceof AccessTokenError) cache.setRefused(key, refusal);
          throw refusal;
        }
        report({ kind: 'miss', active: true, durationMs: performance.now() - started });
        cache.setActive(key, verified, expiry(verified));
        return verified;
      },
      (error: TokenStatusUnavailableError) => {
        report({ kind: 'miss', active: undefined, durationMs: performance.now() - started, failure: error.reason });
        const fallback = failOpen ? cache.stale(key) : undefined;
        if (fallback === undefined) throw error;
        return fallback;
      },
    );
    cache.inflight.set(key, pending);
    const forget = () => void cache.inflight.delete(key);
    pending.then(forget, forget);
    return pending;
  }

  const evaluateOpaque = (token: string) => (answer: Answer) => evaluateAnswer(token, answer, pipeline, dialect);
  const opaqueExpiry = (verified: VerifiedToken) => (verified.claims.exp ?? 0) * 1000;

  return {
    introspect: (token) => lookup(token, evaluateOpaque(token), opaqueExpiry),

    confirm(auth, token) {
      // A JWT already verified: the endpoint only says whether it is still active.
      const evaluate = (answer: Answer): VerifiedToken => {
        if (!answer.active) throw inactive();
        return { token, encrypted: false, header: NO_HEADER, claims: answer, issuer, dialect: 'generic', clientId: undefined, scopes: [], permissions: [] };
      };
      const expiry = (verified: VerifiedToken) => (verified.claims.exp ?? auth.claims.exp ?? 0) * 1000;
      try {
        const status = lookup(token, evaluate, expiry);
        return status instanceof Promise ? status.then(() => auth, (error: unknown) => fallBack(error, auth)) : auth;
      } catch (error) {
        return fallBack(error, auth);
      }
    },
  };

  /** With `failOpen`, a JWT whose status cannot be learnt stands on its local verification. */
  function fallBack(error: unknown, auth: AuthResult): AuthResult {
    if (failOpen && error instanceof TokenStatusUnavailableError) return auth;
    throw error;
  }
}

/** Our 503 for anything that kept the endpoint from answering usably; the reason says what. */
function unavailable(error: unknown): TokenStatusUnavailableError {
  if (error instanceof TokenStatusUnavailableError) return error;
  let reason: string;
  if (error instanceof FetchJsonError && error.kind === 'status' && (error.status === 400 || error.status === 401)) {
    reason = `the introspection endpoint refused our request (${error.message}): check introspection.clientId, its credentials and authMethod`;
  } else if (error instanceof MalformedAnswer) {
    reason = `unusable introspection answer: ${error.message}`;
  } else if (error instanceof AccessTokenError) {
    // Raised by the signature step on a signed answer: the endpoint's fault, not the caller's.
    reason = `the signed introspection answer does not verify: ${error.reason}`;
  } else {
    reason = `introspection failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  return new TokenStatusUnavailableError(reason, RETRY_AFTER, { cause: error });
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`\`introspection.${name}\` must be a positive number`);
  return value;
}
