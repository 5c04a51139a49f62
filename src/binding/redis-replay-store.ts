/**
 * A DPoP replay store shared through Redis, for APIs that run on more than one instance: a proof
 * accepted by one instance is refused by all the others. One `SET key 1 PX ttl NX` per proof,
 * atomic in Redis, with the key expiring (a span set by our clock, never by the proof) once the
 * proof could no longer pass the `iat` check. Keys are per proof key and never evicted by us, so
 * one client's flood cannot make another's proofs fail; size Redis for peak proofs × 2 × iatWindow.
 *
 * The library does not depend on a Redis client: pass your own. ioredis fits as it is:
 *
 *   new RedisReplayStore(new Redis(process.env.REDIS_URL))
 *
 * node-redis (v4, v5) takes its options as an object, so wrap it:
 *
 *   const client = createClient({ url: process.env.REDIS_URL }); await client.connect();
 *   new RedisReplayStore({ set: (key, value, _px, ms, _nx) => client.set(key, value, { PX: ms, NX: true }) })
 */
import { ReplayStoreUnavailableError, type ReplayStore } from './replay-store.js';

/** The one command the store needs, in ioredis's argument order. Answers `'OK'` when set, `null` when the key existed. */
export interface RedisSetClient {
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<unknown>;
}

export interface RedisReplayStoreOptions {
  /** Prepended to every key. Default `'access-token-guard:dpop:'`. */
  prefix?: string;
  /**
   * Longest wait for Redis, milliseconds, after which the request is refused with a 503 rather
   * than left hanging (a client that queues commands while reconnecting would otherwise hold it).
   * Default 2000.
   */
  timeout?: number;
}

export class RedisReplayStore implements ReplayStore {
  readonly #client: RedisSetClient;
  readonly #prefix: string;
  readonly #timeout: number;

  constructor(client: RedisSetClient, options: RedisReplayStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.set !== 'function') {
      throw new TypeError('RedisReplayStore needs a client with set(key, value, "PX", ms, "NX") (ioredis, or a wrapper around node-redis)');
    }
    const { prefix = 'access-token-guard:dpop:', timeout = 2000 } = options;
    if (typeof prefix !== 'string') throw new TypeError('`prefix` must be a string');
    if (!(Number.isFinite(timeout) && timeout > 0)) throw new TypeError('`timeout` must be a number of milliseconds > 0');
    this.#client = client;
    this.#prefix = prefix;
    this.#timeout = timeout;
  }

  async markUsed(id: string, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAt - Date.now()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReplayStoreUnavailableError(`Redis did not answer within ${this.#timeout} ms`)), this.#timeout);
    });
    try {
      const answer = await Promise.race([this.#client.set(this.#prefix + id, '1', 'PX', ttl, 'NX'), timedOut]);
      // Anything but OK (null: the key exists) means the proof was seen: fail closed.
      return answer === 'OK';
    } catch (error) {
      if (error instanceof ReplayStoreUnavailableError) throw error;
      throw new ReplayStoreUnavailableError(`Redis refused the replay check: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
