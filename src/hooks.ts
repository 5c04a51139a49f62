/**
 * Hooks: what operators watch, reported as it happens — a token verified, a request refused, our
 * 503, a key set fetched or not, a result-cache hit or miss. Wire them to a logger and to metrics
 * (examples/observability.ts does it with pino and OpenTelemetry).
 *
 * Two promises:
 * - A hook never changes a decision. A hook that throws (or returns a promise that rejects) is
 *   caught; the first failure of each hook is reported once with `console.warn`, later ones are
 *   ignored, so a broken logger cannot flood the console or fail requests.
 * - Unset hooks cost nothing: no event object, no clock read, no closure is made for a hook that
 *   is not set (the verifier checks for the function before building anything).
 */
import type { AccessTokenError, GuardError } from './errors.js';
import type { ReasonCode } from './reason-codes.js';
import type { Binding, MetDialect } from './types.js';

export interface VerifiedEvent {
  subject: string | undefined;
  clientId: string | undefined;
  /** The token's `iss`. */
  issuer: string | undefined;
  dialect: MetDialect;
  binding: Binding;
  /** Milliseconds from the request (or `verify` call) to the decision. */
  durationMs: number;
}

export interface RefusedEvent {
  error: AccessTokenError;
  /** The RFC 6750 error code the client gets (`invalid_token`, `insufficient_scope`, …). */
  code: AccessTokenError['code'];
  reasonCode: ReasonCode;
  status: number;
  /** Milliseconds to the decision; undefined for a guard's refusal (a guard does no waiting). */
  durationMs: number | undefined;
}

export interface UnavailableEvent {
  /** `KeysUnavailableError`, `ConfigurationError` or `ReplayStoreUnavailableError`. */
  error: GuardError;
  reasonCode: ReasonCode;
  status: number;
  durationMs: number;
}

/** Which remote document: the key set, or the issuer metadata that names it (discovery). */
export type FetchedDocument = 'jwks' | 'metadata';

export interface KeysFetchedEvent {
  document: FetchedDocument;
  url: string;
  status: number;
  durationMs: number;
  /** Keys kept from a key set; undefined for metadata. */
  keyCount: number | undefined;
}

export interface KeysFetchFailedEvent {
  document: FetchedDocument;
  url: string;
  /** The HTTP status, when the server answered. */
  status: number | undefined;
  durationMs: number;
  /** What went wrong, with the URL: a log line. */
  reason: string;
}

export interface VerifierHooks {
  /** A token was accepted by the verifier (guards run later, in the adapter). */
  verified?(event: VerifiedEvent): void;
  /** A request was refused (4xx): by the verifier, or by a guard (`requireScopes`…) of an adapter. */
  refused?(event: RefusedEvent): void;
  /** A request could not be decided by a failure of ours (503, or 500 for a configuration error). */
  unavailable?(event: UnavailableEvent): void;
  /** A key set (or issuer metadata) was fetched. */
  keysFetched?(event: KeysFetchedEvent): void;
  /** A key set (or issuer metadata) fetch failed. */
  keysFetchFailed?(event: KeysFetchFailedEvent): void;
  /** The result cache (`resultCache`) answered for a token. */
  resultCacheHit?(): void;
  /** The result cache had no entry for a token, which was then verified in full. */
  resultCacheMiss?(): void;
}

/**
 * Where a verifier's challenge settings carry its `refused` hook, so a guard (which sees only the
 * result, and through it those settings) reports its refusal to the verifier that made the result.
 */
export const GUARD_REFUSED = Symbol.for('access-token-guard.guard-refused');

/**
 * The hooks, each wrapped so it cannot throw into the verifier; unset ones stay `undefined` so
 * callers test for them before making an event. Throws a `TypeError` for a hook that is not a
 * function.
 */
export function guardedHooks(hooks: VerifierHooks | undefined): VerifierHooks {
  const guarded: VerifierHooks = {};
  if (hooks === undefined) return guarded;
  if (hooks === null || typeof hooks !== 'object') throw new TypeError('`hooks` must be an object of functions');
  // The names were checked with the other options (src/options.ts, KNOWN.hooks).
  for (const name of Object.keys(hooks) as Array<keyof VerifierHooks>) {
    const hook = hooks[name];
    if (hook === undefined) continue;
    if (typeof hook !== 'function') throw new TypeError(`\`hooks.${name}\` must be a function`);
    guarded[name] = guard(name, hook.bind(hooks) as (event?: unknown) => unknown) as never;
  }
  return guarded;
}

function guard(name: string, hook: (event?: unknown) => unknown): (event?: unknown) => void {
  let reported = false;
  const report = (error: unknown) => {
    if (reported) return;
    reported = true;
    console.warn(`access-token-guard: the ${name} hook failed; hook failures are ignored and this is reported once:`, error);
  };
  return (event) => {
    try {
      const returned = hook(event);
      if (returned instanceof Promise) returned.catch(report);
    } catch (error) {
      report(error);
    }
  };
}

/** Milliseconds since `started` (a `performance.now()` reading). */
export function since(started: number): number {
  return performance.now() - started;
}
