/**
 * A map bounded in entries, each kept until its own deadline: what the result cache and the
 * in-memory replay store need, and nothing more (no timers, no byte accounting). When full, the
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

export class BoundedMap<K, V> {
  readonly #entries = new Map<K, Entry<K, V>>();
  readonly #maxEntries: number;
  readonly #onEvict: ((value: V, key: K) => void) | undefined;
  #oldest: Entry<K, V> | undefined;
  #newest: Entry<K, V> | undefined;

  /**
   * @param maxEntries most entries held; a positive integer.
   * @param onEvict called with each entry dropped to make room (not with expired or replaced ones).
   */
  constructor(maxEntries: number, onEvict?: (value: V, key: K) => void) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
    this.#onEvict = onEvict;
  }

  /** The value, unless absent or past its deadline; a hit becomes the most recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= performance.now()) {
      this.#remove(entry);
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
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#oldest as Entry<K, V>;
      this.#remove(oldest);
      this.#onEvict?.(oldest.value, oldest.key);
    }
  }

  /** The values not past their deadline, oldest first (a snapshot; reading them changes no recency). */
  values(): V[] {
    const now = performance.now();
    const values: V[] = [];
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) if (entry.expiresAt > now) values.push(entry.value);
    return values;
  }

  /** Entries held, expired ones not yet dropped included (they go when read or evicted). */
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
