/**
 * The refresh engine for one remotely fetched document (a key set, or issuer metadata): its
 * tuning options with their defaults, and `CachedDocument`, which applies the key-source rules —
 * max age, cooldown, one fetch in flight, stale-if-error — without knowing what it caches.
 */
import { KeysUnavailableError } from '../errors.js';
import type { ReasonCode } from '../reason-codes.js';
import type { JwksOptions } from '../types.js';

/** A response's `Cache-Control: max-age` is honoured within these bounds, seconds (docs/architecture.md). */
export const MIN_MAX_AGE = 60;
export const MAX_MAX_AGE = 86_400;

export const JWKS_DEFAULTS = Object.freeze({
  cacheMaxAge: 600,
  cooldown: 30,
  timeout: 5000,
  maxResponseBytes: 1024 * 1024,
  maxStale: 86_400,
});

/** `JwksOptions` checked, with defaults filled in and every duration in milliseconds. */
export interface ResolvedJwksOptions {
  cacheMaxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  maxStaleMs: number;
  fetch?: typeof fetch;
}

export function resolveJwksOptions(options: JwksOptions = {}): ResolvedJwksOptions {
  return {
    cacheMaxAgeMs: number(options, 'cacheMaxAge', false) * 1000,
    cooldownMs: number(options, 'cooldown', true) * 1000,
    timeoutMs: number(options, 'timeout', false),
    maxResponseBytes: number(options, 'maxResponseBytes', false),
    maxStaleMs: number(options, 'maxStale', true) * 1000,
    fetch: options.fetch,
  };
}

function number(options: JwksOptions, name: keyof typeof JWKS_DEFAULTS, zeroAllowed: boolean): number {
  const value = options[name] ?? JWKS_DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new TypeError(`jwks.${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${String(value)}`);
  }
  return value;
}

/** Seconds a fetched document is fresh: the server's max-age within [1 min, 24 h], else our default. */
export function effectiveMaxAge(headerMaxAge: number | undefined, defaultSeconds: number): number {
  if (headerMaxAge === undefined) return defaultSeconds;
  return Math.min(MAX_MAX_AGE, Math.max(MIN_MAX_AGE, headerMaxAge));
}

/**
 * The wait after a successful routine fetch (at startup, or because the copy expired), before a
 * fetch for an unknown `kid` may go. Short, because an issuer that swaps keys without publishing
 * the next one first leaves every new token refused until we look again; the full cooldown
 * follows a fetch an unknown `kid` triggered (so a flood of invented kids costs one fetch per
 * cooldown) and any failed fetch (so a struggling issuer is not hammered).
 */
export const ROUTINE_MIN_INTERVAL_MS = 5000;

/** Why a fetch is made: the copy is missing or expired, or a lookup found nothing in it. */
export type FetchCause = 'routine' | 'unknown-kid';

/** What a loader hands `CachedDocument`: the value, and the response's max-age if it had one. */
export interface Loaded<T> {
  value: T;
  maxAge?: number;
}

/**
 * One remotely fetched value under the key-source refresh rules (max age, cooldown, one fetch
 * in flight, stale-if-error). It knows nothing of keys: its owner compares `expiresAt` with the
 * clock on the hot path, and otherwise asks `mayFetch` / `usable`, calls `refresh`, and raises
 * `unavailable`. Fields are public for that hot path; nothing outside src/keys touches them.
 */
export class CachedDocument<T> {
  value: T | undefined;
  /** Until when `value` is used without refreshing (ms since the epoch; 0 = nothing cached). */
  expiresAt = 0;
  fetchedAt: number | undefined;
  maxAge: number | undefined;
  /** The failure of the most recent attempt; undefined after a success. */
  failure: Error | undefined;
  fetchCount = 0;
  private usableUntil = 0;
  private nextFetchAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<Loaded<T>>,
    private readonly options: ResolvedJwksOptions,
  ) {}

  /**
   * Starts from a value fetched earlier (a persisted snapshot), as if that fetch had just
   * happened at `fetchedAt`: fresh until its max age, usable through an outage until `maxStale`
   * after it. No cooldown runs: nothing was fetched by this process yet.
   */
  seed(value: T, fetchedAt: number, maxAge: number): void {
    this.value = value;
    this.fetchedAt = fetchedAt;
    this.maxAge = maxAge;
    this.expiresAt = fetchedAt + maxAge * 1000;
    this.usableUntil = fetchedAt + Math.max(maxAge * 1000, this.options.maxStaleMs);
  }

  /** True when a fetch is running (callers join it) or the cooldown since the last one is over. */
  mayFetch(now: number): boolean {
    return this.inflight !== undefined || now >= this.nextFetchAt;
  }

  /**
   * Starts a fetch, or joins the running one. Never rejects: the outcome lands in the fields.
   * `cause` sets the wait before the next fetch (see `ROUTINE_MIN_INTERVAL_MS`).
   */
  refresh(cause: FetchCause = 'routine'): Promise<void> {
    if (this.inflight === undefined) {
      // Cleared in a later reaction, after the assignment, even if `load` fails synchronously.
      this.inflight = this.run(cause).finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** The value if it may still serve: fresh, or stale but within `maxStale` of its fetch. */
  usable(now: number): T | undefined {
    return now < this.usableUntil ? this.value : undefined;
  }

  /**
   * The usable value when the last attempt failed. While the source is known to be failing, this
   * answers at once and the retry runs behind it, so an outage does not cost every request that
   * arrives during a retry the whole timeout. (After a success, an expired value is never used
   * before its refresh: that is how a removed key stops verifying.)
   */
  servingThroughOutage(now: number): T | undefined {
    return this.failure === undefined ? undefined : this.usable(now);
  }

  /** Seconds until the next fetch may start. */
  retryAfter(now: number): number {
    return Math.max(0, this.nextFetchAt - now) / 1000;
  }

  /**
   * Our 503, for when what is cached cannot answer. `label` names the document ("JWKS"); `where`
   * (its URL) is only needed when there is no failure message, which always names the URL.
   */
  unavailable(now: number, label: string, where: string, reasonCode: ReasonCode = 'keys_unavailable'): KeysUnavailableError {
    let reason = `${label} unavailable: ${this.failure?.message ?? where}`;
    if (this.fetchedAt !== undefined && now >= this.usableUntil) {
      const age = Math.round((now - this.fetchedAt) / 1000);
      reason += `; the last good copy, fetched ${age} s ago, is past maxStale (${this.options.maxStaleMs / 1000} s)`;
    }
    return new KeysUnavailableError(reason, this.retryAfter(now), { cause: this.failure, reasonCode });
  }

  private async run(cause: FetchCause): Promise<void> {
    this.fetchCount++;
    try {
      const { value, maxAge } = await this.load();
      const now = Date.now();
      const seconds = effectiveMaxAge(maxAge, this.options.cacheMaxAgeMs / 1000);
      this.value = value;
      this.fetchedAt = now;
      this.maxAge = seconds;
      this.expiresAt = now + seconds * 1000;
      // A fresh value always serves, even if maxStale is configured shorter than its max age.
      this.usableUntil = now + Math.max(seconds * 1000, this.options.maxStaleMs);
      this.failure = undefined;
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      // The wait counts from the end of the attempt.
      const full = this.failure !== undefined || cause === 'unknown-kid';
      this.nextFetchAt = Date.now() + (full ? this.options.cooldownMs : Math.min(ROUTINE_MIN_INTERVAL_MS, this.options.cooldownMs));
    }
  }
}

