/**
 * A map bounded in entries, each kept until its own deadline: what the result cache, the issuer
 * resolver's answers and the introspection cache need, and nothing more (no timers, no byte
 * accounting). When full, the
 * least recently used entry makes room. Recency is a doubly linked list through the entries
 * (oldest at the head), so a hit costs one `Map` lookup and a few pointer moves — no re-hashing
 * of the key, which for the result cache is a whole token.
 *
 * Deadlines are on the monotonic clock (`performance.now()`), so moving the wall clock cannot
 * stretch or shorten an entry's life.
 */
interface Entry<K, V> {
  key: K;
  value: V;
  /** `performance.now()` after which the entry is gone. */
  expiresAt: number;
  older: Entry<K, V> | undefined;
  newer: Entry<K, V> | undefined;
}

export interface BoundedMapOptions {
  /**
   * Keep an entry past its deadline until it is replaced, deleted or evicted: `get` no longer
   * returns it, `getExpired` still does (the introspection cache falls back on such an answer
   * during an outage). Without it, an expired entry is dropped when read.
   */
  keepExpired?: boolean;
}

export class BoundedMap<K, V> {
  readonly #entries = new Map<K, Entry<K, V>>();
  readonly #maxEntries: number;
  readonly #keepExpired: boolean;
  #oldest: Entry<K, V> | undefined;
  #newest: Entry<K, V> | undefined;

  /** @param maxEntries most entries held; a positive integer. */
  constructor(maxEntries: number, options: BoundedMapOptions = {}) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
    this.#keepExpired = options.keepExpired === true;
  }

  /** The value, unless absent or past its deadline; a hit becomes the most recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= performance.now()) {
      if (!this.#keepExpired) this.#remove(entry);
      return undefined;
    }
    if (entry !== this.#newest) {
      this.#unlink(entry);
      this.#append(entry);
    }
    return entry.value;
  }

  /** Stores `value` for `ttlMs` milliseconds, as the most recently used entry. */
  set(key: K, value: V, ttlMs: number): void {
    const existing = this.#entries.get(key);
    if (existing !== undefined) this.#remove(existing);
    const entry: Entry<K, V> = { key, value, expiresAt: performance.now() + ttlMs, older: undefined, newer: undefined };
    this.#entries.set(key, entry);
    this.#append(entry);
    if (this.#entries.size > this.#maxEntries) this.#remove(this.#oldest as Entry<K, V>);
  }

  /** The value whatever its deadline, when kept (`keepExpired`); recency is not changed. */
  getExpired(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#remove(entry);
  }

  /** The values not past their deadline, oldest first (a snapshot; reading them changes no recency). */
  values(): V[] {
    const now = performance.now();
    const values: V[] = [];
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) if (entry.expiresAt > now) values.push(entry.value);
    return values;
  }

  /** Entries held, expired ones not yet dropped included (they go when read, replaced or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  #remove(entry: Entry<K, V>): void {
    this.#entries.delete(entry.key);
    this.#unlink(entry);
  }

  #append(entry: Entry<K, V>): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry<K, V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
  }
}
