/**
 * The warm-start examples, run for real: the Worker (examples/worker-key-cache.ts) in workerd
 * through miniflare, with its key cache in Workers KV and, without KV, in the Cache API; the Lambda
 * authorizer (examples/lambda-key-cache.ts) with the snapshot its deploy step writes. In each, a
 * second start — a new isolate, a new execution environment — answers its first request while the
 * issuer is down: the keys came from the stored snapshot, not from the network.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import type { KeyCacheSnapshot } from '../src/index.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../src/testing.js';
import { bundleWorker } from './helpers/workerd.js';

const ROOT = resolve(import.meta.dirname, '..');
const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let dir: string;

beforeEach(async () => {
  issuer = await LocalIssuer.start({ algorithms: ['RS256'] });
  dir = await mkdtemp(join(tmpdir(), 'atg-warm-'));
});

afterEach(async () => {
  await issuer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/worker-key-cache.ts in workerd', () => {
  let script: string;

  beforeAll(async () => {
    script = await bundleWorker(join(ROOT, 'examples/worker-key-cache.ts'));
  }, 60_000);

  /** A fresh isolate of the Worker, its storage persisted under `dir` across isolates. */
  async function isolate(storage: Partial<MiniflareOptions>): Promise<Miniflare> {
    const mf = new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01', bindings: { ISSUER: issuer.issuer, AUDIENCE }, ...storage } as MiniflareOptions);
    await mf.ready;
    return mf;
  }

  async function call(mf: Miniflare, token: string) {
    const response = await mf.dispatchFetch('https://api.example.com/messages', { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  /**
   * The snapshot the Worker stored, read from outside it. The Worker stores it after the response
   * (`waitUntil`), so this waits for it — up to 10 s, on a slow machine — before an isolate goes.
   */
  async function storedSnapshot(mf: Miniflare): Promise<unknown> {
    const name = `key-cache:${issuer.issuer}`;
    // The parts of miniflare's KV and Cache API handles read here (its types are workerd's).
    type Kv = { get(key: string, type: 'json'): Promise<unknown> };
    type Caches = { open(name: string): Promise<{ match(url: string): Promise<{ json(): Promise<unknown> } | undefined> }> };
    const read = async (): Promise<unknown> => {
      const kv = (await mf.getKVNamespace('KEY_CACHE').catch(() => undefined)) as Kv | undefined;
      if (kv !== undefined) return kv.get(name, 'json');
      const cached = await (await ((await mf.getCaches()) as unknown as Caches).open('key-cache')).match(`https://key-cache.internal/${encodeURIComponent(name)}`);
      return cached === undefined ? null : cached.json();
    };
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((wait) => setTimeout(wait, 50))) {
      const snapshot = await read();
      if (snapshot !== null) return snapshot;
    }
    return read();
  }

  it.each([
    ['Workers KV', () => ({ kvNamespaces: ['KEY_CACHE'], kvPersist: join(dir, 'kv') })],
    ['the Cache API', () => ({ cachePersist: join(dir, 'cache') })],
  ])('a new isolate answers its first request from the snapshot in %s, the issuer down', async (_, storage) => {
    const token = await issuer.mint(AUDIENCE);
    const first = await isolate(storage());
    try {
      expect(await call(first, token)).toEqual({ status: 200, body: { user: 'auth0|demo-user' } });
      expect(await storedSnapshot(first)).toMatchObject({ version: 1, issuer: issuer.issuer });
    } finally {
      await first.dispose();
    }
    expect(issuer.jwksHits).toBe(1);
    await issuer.close();

    const second = await isolate(storage());
    try {
      expect(await call(second, token)).toEqual({ status: 200, body: { user: 'auth0|demo-user' } });
    } finally {
      await second.dispose();
    }
  }, 60_000);

  it('without a stored snapshot, a new isolate with the issuer down answers our 503', async () => {
    const token = await issuer.mint(AUDIENCE);
    await issuer.close();
    const mf = await isolate({ kvNamespaces: ['KEY_CACHE'], kvPersist: join(dir, 'kv') });
    try {
      expect((await call(mf, token)).status).toBe(503);
    } finally {
      await mf.dispose();
    }
  }, 60_000);
});

describe('examples/lambda-key-cache.ts', () => {
  /** One execution environment: a fresh process loads the module (init phase), then is invoked once. */
  async function environment(token: string): Promise<unknown> {
    const driver = join(dir, 'invoke.mts');
    await writeFile(
      driver,
      `const { handler } = await import(${JSON.stringify(join(ROOT, 'examples/lambda-key-cache.ts'))});
const authorization = 'Bearer ' + process.env.TOKEN;
const event = { version: '2.0', type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/messages', identitySource: [authorization], routeKey: '$default', rawPath: '/messages', rawQueryString: '', headers: { authorization }, requestContext: { http: { method: 'GET', path: '/messages' } } };
console.log(JSON.stringify(await handler(event)));`,
    );
    const env = { ...process.env, ISSUER: issuer.issuer, AUDIENCE, KEY_CACHE_FILE: join(dir, 'key-cache.json'), TOKEN: token };
    return new Promise((resolveRun, reject) => {
      execFile(join(ROOT, 'node_modules/.bin/tsx'), [driver], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        resolveRun(JSON.parse(stdout.trim().split('\n').pop() as string));
      });
    });
  }

  it('a new environment answers its first invocation from the shared snapshot, the issuer down', async () => {
    const token = await issuer.mint(AUDIENCE);
    expect(await environment(token)).toMatchObject({ isAuthorized: true });
    const written = JSON.parse(await readFile(join(dir, 'key-cache.json'), 'utf8')) as KeyCacheSnapshot;
    expect(written).toMatchObject({ issuer: issuer.issuer, jwks: { uri: issuer.jwksUri } });
    await issuer.close();
    expect(await environment(token)).toMatchObject({ isAuthorized: true });
  }, 120_000);

  it('without a snapshot, a new environment with the issuer down cannot authorize', async () => {
    const token = await issuer.mint(AUDIENCE);
    await issuer.close();
    await expect(environment(token)).rejects.toThrow(/unavailable/i);
  }, 120_000);
});
