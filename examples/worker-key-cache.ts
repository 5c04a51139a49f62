/**
 * A Cloudflare Worker that is warm from its first request: the verifier's key cache (the
 * issuer's key set, and where discovery found it) is kept in Workers KV — or, without a KV
 * binding, in the Cache API of the data centre — so a new isolate starts with the keys instead of
 * fetching discovery and the JWKS before it can answer. The verifier refreshes them as usual
 * (max age, an unknown `kid`, stale-if-error), and whenever it has fetched a newer set than the
 * stored one, the Worker stores it again, after the response (`waitUntil`).
 *
 * Bindings: ISSUER, AUDIENCE (vars), KEY_CACHE (a KV namespace; optional).
 * In your Worker, import from 'access-token-guard/web'.
 */
import { authenticate, createVerifier, requireScopes, type AuthResult, type KeyCacheSnapshot, type Verifier } from '../adapters/web.js';

/** The part of a Workers KV namespace this Worker uses. */
interface KvNamespace {
  get(key: string, type: 'json'): Promise<unknown>;
  put(key: string, value: string): Promise<void>;
}

interface Env {
  ISSUER: string;
  AUDIENCE: string;
  KEY_CACHE?: KvNamespace;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Where the snapshot lives between isolates. */
interface KeyCacheStore {
  load(): Promise<KeyCacheSnapshot | undefined>;
  save(snapshot: KeyCacheSnapshot): Promise<void>;
}

function kvStore(kv: KvNamespace, name: string): KeyCacheStore {
  return {
    load: async () => ((await kv.get(name, 'json')) as KeyCacheSnapshot | null) ?? undefined,
    save: (snapshot) => kv.put(name, JSON.stringify(snapshot)),
  };
}

/** The Cache API keys entries by URL: any URL of your own zone serves as the name. */
function cacheApiStore(name: string): KeyCacheStore {
  const url = `https://key-cache.internal/${encodeURIComponent(name)}`;
  return {
    load: async () => {
      const cached = await (await caches.open('key-cache')).match(url);
      return cached ? ((await cached.json()) as KeyCacheSnapshot) : undefined;
    },
    save: async (snapshot) => {
      const response = new Response(JSON.stringify(snapshot), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=86400' } });
      await (await caches.open('key-cache')).put(url, response);
    },
  };
}

// Module scope: one verifier per isolate, its key cache living as long as the isolate.
let verifier: Verifier | undefined;
let auth: ((request: Request) => Promise<AuthResult | Response>) | undefined;
/** `fetchedAt` of the key set the store holds, so the Worker writes only a newer one. */
let storedFetchedAt: number | undefined;
const readMessages = requireScopes('read:messages');

async function start(env: Env, store: KeyCacheStore): Promise<Verifier> {
  const options = { issuer: env.ISSUER, audience: env.AUDIENCE };
  const seed = await store.load().catch(() => undefined);
  try {
    verifier = createVerifier({ ...options, jwks: seed ? { seed } : {} });
    storedFetchedAt = seed?.jwks.fetchedAt;
  } catch (error) {
    // A snapshot that no longer fits the configuration (another issuer, another JWKS URL) is a
    // TypeError: start without it, and the next save replaces it.
    if (!(error instanceof TypeError)) throw error;
    verifier = createVerifier(options);
  }
  auth = authenticate(verifier);
  return verifier;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // One name per issuer and API, so a Worker reconfigured for another never reads this one.
    const store = env.KEY_CACHE ? kvStore(env.KEY_CACHE, `key-cache:${env.ISSUER}`) : cacheApiStore(`key-cache:${env.ISSUER}`);
    const current = verifier ?? (await start(env, store));
    const result = await auth!(request);

    const snapshot = current.exportKeys();
    if (snapshot !== undefined && snapshot.jwks.fetchedAt !== storedFetchedAt) {
      storedFetchedAt = snapshot.jwks.fetchedAt;
      ctx.waitUntil(store.save(snapshot));
    }

    if (result instanceof Response) return result; // 400/401 with WWW-Authenticate, or our 503
    return readMessages(result) ?? Response.json({ user: result.subject });
  },
};
