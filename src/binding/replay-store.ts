/**
 * Where DPoP proof identifiers are remembered so a proof is accepted once (RFC 9449 §11.1).
 * The store is pluggable: the in-memory default below serves one process; `RedisReplayStore`
 * (redis-replay-store.ts) serves APIs that run on several instances.
 */
import { GuardError } from '../errors.js';

export interface ReplayStore {
  /**
   * Records `id` until `expiresAt` (milliseconds since the epoch) and answers whether it was new:
   * `true` the first time, `false` for every later call before `expiresAt`. Must be atomic
   * across everything that shares the store: two concurrent calls with one `id` never both see
   * `true`. Rejecting (or throwing) refuses the request with a 503, never accepts it.
   *
   * `id` is short and of a fixed shape (the proof key's thumbprint and a hash of its `jti`).
   * `expiresAt` is set by the server's clock, the same span after every proof's arrival (twice
   * `iatWindow`: the longest a proof can keep passing the `iat` check), so no client chooses how
   * long its entries live. `proof` says whose proof it is, for a store that accounts per client.
   */
  markUsed(id: string, expiresAt: number, proof: ProofIdentity): boolean | Promise<boolean>;
}

/** Who a proof belongs to and when it claims to be from, for stores that account per key. */
export interface ProofIdentity {
  /** RFC 7638 thumbprint of the proof's key: one client (the token's `cnf.jkt`). */
  keyThumbprint: string;
  /** The proof's `iat`, seconds: chosen by the client, so it orders only that client's proofs. */
  iat: number;
}

export interface MemoryReplayStoreOptions {
  /** Most identifiers remembered at once, over all keys. Default 50 000 (a few MiB: ids have a fixed size). */
  maxEntries?: number;
}

/** One key's remembered proofs. */
interface KeyHistory {
  readonly keyThumbprint: string;
  /** id → when it may be forgotten. Insertion order is expiry order: every entry lives as long. */
  readonly proofs: Map<string, Remembered>;
  /** Highest `iat` of this key's proofs forgotten while they could still pass: nothing at or below it is accepted. */
  forgottenIat: number;
  /** When everything about this key may be forgotten (its latest entry's expiry). */
  until: number;
}

interface Remembered {
  iat: number;
  expiresAt: number;
}

/** Proofs given without an identity (an older caller) share one history, ordered by expiry. */
const ANONYMOUS = '';
/** Slots for the marks of keys forgotten whole: 64 KiB. */
const FORGOTTEN_SLOTS = 4096;

/**
 * One process's memory, bounded by entries and accounted per proof key (per client). When it is
 * full, the key with the most remembered proofs gives up its oldest, and from then on that key's
 * proofs with an `iat` no later than the forgotten one's are refused: a replay of a forgotten
 * proof carries the same `iat` and so can never slip through. The cost of a flood falls on the
 * key that floods: its `iat` values, however far in the future, move only its own mark, and its
 * entries, however many, evict only its own. Entry lifetimes come from the server's clock.
 *
 * Only when more keys than `maxEntries` are active at once does a key lose its whole history;
 * its mark then goes to one of 4096 slots, chosen by a seeded hash of the key, and refuses the
 * old-`iat` proofs of any forgotten key sharing that slot. A full store costs availability at
 * the margin, never a replay.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #maxEntries: number;
  /** Histories by key thumbprint, least recently added to first. */
  readonly #keys = new Map<string, KeyHistory>();
  #size = 0;
  /** The history that held the most entries when last added to: where eviction starts. */
  #heaviest: KeyHistory | undefined;
  /**
   * The marks of histories forgotten whole, in a fixed table indexed by a hash of the key
   * (seeded per store, so no client can choose a key that lands on another's slot).
   */
  readonly #forgottenIat = new Float64Array(FORGOTTEN_SLOTS).fill(Number.NEGATIVE_INFINITY);
  readonly #forgottenUntil = new Float64Array(FORGOTTEN_SLOTS);
  readonly #seed = (Math.random() * 0x100000000) >>> 0;

  constructor(options: MemoryReplayStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 50_000;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('`maxEntries` must be a positive integer');
    this.#maxEntries = maxEntries;
  }

  markUsed(id: string, expiresAt: number, proof?: ProofIdentity): boolean {
    const now = Date.now();
    this.#forgetExpiredKeys(now);
    const keyThumbprint = proof?.keyThumbprint ?? ANONYMOUS;
    // Without an identity, the expiry orders the proofs (it then comes from the proof itself).
    const iat = proof?.iat ?? expiresAt / 1000;

    let history = this.#keys.get(keyThumbprint);
    if (history === undefined) {
      const slot = this.#slot(keyThumbprint);
      if (now < (this.#forgottenUntil[slot] as number) && iat <= (this.#forgottenIat[slot] as number)) return false;
      history = { keyThumbprint, proofs: new Map(), forgottenIat: Number.NEGATIVE_INFINITY, until: 0 };
    } else {
      this.#forgetExpiredProofs(history, now);
      if (iat <= history.forgottenIat) return false;
      const seen = history.proofs.get(id);
      if (seen !== undefined) {
        if (seen.expiresAt > now) return false;
        history.proofs.delete(id);
        this.#size--;
      }
      this.#keys.delete(keyThumbprint); // re-inserted last: most recently added to
    }
    this.#keys.set(keyThumbprint, history);
    history.proofs.set(id, { iat, expiresAt });
    history.until = Math.max(history.until, expiresAt);
    this.#size++;
    if (this.#heaviest === undefined || history.proofs.size > this.#heaviest.proofs.size) this.#heaviest = history;
    while (this.#size > this.#maxEntries) this.#evictOne(now);
    return true;
  }

  /** Identifiers currently held (expired ones may linger until their key is next used or evicted). */
  get size(): number {
    return this.#size;
  }

  /** Keys whose every entry has expired go whole; the least recently added to come first. */
  #forgetExpiredKeys(now: number): void {
    for (const history of this.#keys.values()) {
      if (history.until > now) return;
      this.#dropHistory(history);
    }
  }

  #forgetExpiredProofs(history: KeyHistory, now: number): void {
    for (const [id, entry] of history.proofs) {
      if (entry.expiresAt > now) return;
      history.proofs.delete(id);
      this.#size--;
    }
  }

  /** Forgets the oldest entry of the heaviest key (or, if that is gone, of the least recent one). */
  #evictOne(now: number): void {
    const heaviest = this.#heaviest;
    const history =
      heaviest !== undefined && heaviest.proofs.size > 0 && this.#keys.get(heaviest.keyThumbprint) === heaviest
        ? heaviest
        : (this.#keys.values().next().value as KeyHistory);
    const oldest = history.proofs.entries().next().value as [string, Remembered];
    history.proofs.delete(oldest[0]);
    this.#size--;
    if (oldest[1].expiresAt > now && oldest[1].iat > history.forgottenIat) history.forgottenIat = oldest[1].iat;
    if (history.proofs.size === 0) {
      // A history with no entries left would be memory without bound: its mark moves to its slot.
      const slot = this.#slot(history.keyThumbprint);
      this.#forgottenIat[slot] = Math.max(this.#forgottenIat[slot] as number, history.forgottenIat);
      this.#forgottenUntil[slot] = Math.max(this.#forgottenUntil[slot] as number, history.until);
      this.#dropHistory(history);
    }
  }

  /** FNV-1a of the thumbprint, from a per-store seed. */
  #slot(keyThumbprint: string): number {
    let hash = this.#seed ^ 0x811c9dc5;
    for (let i = 0; i < keyThumbprint.length; i++) hash = Math.imul(hash ^ keyThumbprint.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % FORGOTTEN_SLOTS;
  }

  #dropHistory(history: KeyHistory): void {
    this.#keys.delete(history.keyThumbprint);
    this.#size -= history.proofs.size;
    if (this.#heaviest === history) this.#heaviest = undefined;
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
