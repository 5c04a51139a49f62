/**
 * Where DPoP proof identifiers are remembered so a proof is accepted once (RFC 9449 §11.1).
 * The store is pluggable: the in-memory default below serves one process; `RedisReplayStore`
 * (redis-replay-store.ts) serves APIs that run on several instances.
 */
import { BoundedMap } from '../bounded-map.js';
import { GuardError } from '../errors.js';

export interface ReplayStore {
  /**
   * Records `id` until `expiresAt` (milliseconds since the epoch) and answers whether it was new:
   * `true` the first time, `false` for every later call before `expiresAt`. Must be atomic
   * across everything that shares the store: two concurrent calls with one `id` never both see
   * `true`. Rejecting (or throwing) refuses the request with a 503, never accepts it.
   *
   * `id` is short and of a fixed shape (the proof key's thumbprint and a hash of its `jti`);
   * `expiresAt` is derived from the proof itself, so the same proof always brings the same value.
   */
  markUsed(id: string, expiresAt: number): boolean | Promise<boolean>;
}

export interface MemoryReplayStoreOptions {
  /** Most identifiers remembered at once. Default 50 000 (a few MiB: ids have a fixed size). */
  maxEntries?: number;
}

/**
 * One process's memory, bounded by entries. When it is full the oldest entry is forgotten, and
 * from then on every proof that expires no later than the forgotten one is refused: a replay of
 * a forgotten proof carries the same `expiresAt` and so can never slip through. Fresh proofs
 * expire later than anything already stored and keep working; only under a flood larger than
 * `maxEntries` per window may a client's old-but-still-in-window proof be refused. A full store
 * costs availability at the margin, never a replay.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #entries: BoundedMap<string, number>;
  /** The latest `expiresAt` of any entry forgotten before it expired. */
  #forgottenUntil = 0;

  constructor(options: MemoryReplayStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 50_000;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('`maxEntries` must be a positive integer');
    this.#entries = new BoundedMap<string, number>(maxEntries, (expiresAt) => {
      if (expiresAt > this.#forgottenUntil) this.#forgottenUntil = expiresAt;
    });
  }

  markUsed(id: string, expiresAt: number): boolean {
    const now = Date.now();
    if (expiresAt <= this.#forgottenUntil) return false;
    const seen = this.#entries.get(id);
    if (seen !== undefined && seen > now) return false;
    // The entry's own deadline decides; the map's only lets it drop expired entries early.
    this.#entries.set(id, expiresAt, Math.max(1, Math.ceil(expiresAt - now)));
    return true;
  }

  /** Identifiers currently held (expired ones may linger until touched or evicted). */
  get size(): number {
    return this.#entries.size;
  }
}

/** The replay store could not answer: our failure (503), never the client's token. */
export class ReplayStoreUnavailableError extends GuardError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable';
  /** Seconds a client should wait before retrying. */
  readonly retryAfter = 1;

  constructor(reason: string, options?: { cause?: unknown }) {
    super('The service cannot verify access tokens right now; try again later.', reason, options);
  }

  get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }
}
