import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import { FetchJsonError, checkUrl, fetchBody, fetchJson, isLoopbackHost, parseMaxAge } from '../../src/keys/fetch-json.js';
import { listen } from '../helpers/http.js';
import { errorOf, startJwksServer, type JwksServer } from '../helpers/jwks-server.js';

const limits = { timeout: 2000, maxBytes: 1024 };

let server: JwksServer;
beforeEach(async () => {
  server = await startJwksServer();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await server.close();
});

async function failure(url: string, options: Parameters<typeof fetchJson>[1] = limits): Promise<FetchJsonError> {
  const error = await errorOf(() => fetchJson(url, options));
  expect(error).toBeInstanceOf(FetchJsonError);
  return error as FetchJsonError;
}

describe('fetchJson: success', () => {
  it('returns the parsed body', async () => {
    server.route('/doc', { json: { keys: [] } });
    expect(await fetchJson(server.url('/doc'), limits)).toEqual({ json: { keys: [] }, maxAge: undefined });
  });

  it('returns max-age from Cache-Control', async () => {
    server.route('/doc', { json: {}, headers: { 'cache-control': 'public, max-age=3600' } });
    expect((await fetchJson(server.url('/doc'), limits)).maxAge).toBe(3600);
  });

  it('reads a body streamed without Content-Length', async () => {
    server.route('/doc', { json: { a: 1 }, contentLength: false });
    expect((await fetchJson(server.url('/doc'), limits)).json).toEqual({ a: 1 });
  });

  it('uses options.fetch, asking it not to follow redirects and passing an abort signal', async () => {
    const custom = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => Response.json({ ok: true }));
    const result = await fetchJson('https://keys.example/jwks', { ...limits, fetch: custom as typeof fetch });
    expect(result.json).toEqual({ ok: true });
    const init = custom.mock.calls[0]![1]!;
    expect(init.redirect).toBe('manual');
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it('leaves no timer running once the response is read', async () => {
    server.route('/doc', { json: {} });
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    await fetchJson(server.url('/doc'), { ...limits, timeout: 61_234 });
    const ours = set.mock.results[set.mock.calls.findIndex((call) => call[1] === 61_234)]!.value;
    expect(clear).toHaveBeenCalledWith(ours);
  });

  it('leaves no timer running after a failure', async () => {
    server.route('/doc', { status: 500 });
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    await failure(server.url('/doc'), { ...limits, timeout: 61_234 });
    const ours = set.mock.results[set.mock.calls.findIndex((call) => call[1] === 61_234)]!.value;
    expect(clear).toHaveBeenCalledWith(ours);
  });
});

describe('fetchBody: a form POST (token introspection)', () => {
  it('POSTs the fields form-encoded with the given headers, and returns the raw body and its media type', async () => {
    let received: { method?: string; type?: string; accept?: string; body?: string } = {};
    const running = await listen(
      createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk));
        request.on('end', () => {
          received = { method: request.method, type: request.headers['content-type'], accept: request.headers.accept, body };
          response.writeHead(200, { 'content-type': 'Application/Token-Introspection+JWT; charset=utf-8' }).end('a.b.c');
        });
      }),
    );
    try {
      const result = await fetchBody(`${running.origin}/introspect`, { ...limits, form: { token: 'a b&c', hint: 'x' }, headers: { accept: 'application/token-introspection+jwt' } });
      expect(new TextDecoder().decode(result.bytes)).toBe('a.b.c');
      expect(result.contentType).toBe('application/token-introspection+jwt');
    } finally {
      await running.close();
    }
    expect(received).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded', accept: 'application/token-introspection+jwt', body: 'token=a+b%26c&hint=x' });
  });

  it('keeps every bound of the GET: the byte cap applies to the POST answer', async () => {
    server.route('/introspect', { json: { padding: 'x'.repeat(2000) } });
    const error = await errorOf(() => fetchBody(server.url('/introspect'), { ...limits, form: { token: 't' } }));
    expect(error).toMatchObject({ kind: 'too-large' });
  });
});

describe('fetchJson: refusals and failures name the URL and the kind', () => {
  it('refuses plain http to a non-loopback host without making a request', async () => {
    const custom = vi.fn();
    const error = await failure('http://keys.example/jwks', { ...limits, fetch: custom as unknown as typeof fetch });
    expect(error.kind).toBe('not-https');
    expect(error.message).toContain('http://keys.example/jwks');
    expect(custom).not.toHaveBeenCalled();
  });

  it('refuses a relative URL', async () => {
    expect((await failure('/jwks')).kind).toBe('invalid-url');
  });

  it('refuses a redirect and never requests its target', async () => {
    server.route('/old', { status: 302, headers: { location: '/new' } });
    server.route('/new', { json: { keys: [] } });
    const error = await failure(server.url('/old'));
    expect(error.kind).toBe('redirect');
    expect(error.message).toMatch(/redirect refused \(HTTP 302 to \/new\)/);
    expect(server.hits('/new')).toBe(0);
  });

  it('reports a non-2xx status', async () => {
    server.route('/doc', { status: 503, json: {} });
    const error = await failure(server.url('/doc'));
    expect(error).toMatchObject({ kind: 'status', status: 503 });
    expect(error.message).toBe(`${server.url('/doc')}: HTTP 503`);
  });

  it('reports a refused connection as a network failure', async () => {
    const closed = await startJwksServer();
    const url = closed.url('/doc');
    await closed.close();
    const error = await failure(url);
    expect(error.kind).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('refuses a body that is not JSON', async () => {
    server.route('/doc', { body: '{"keys": [' });
    expect((await failure(server.url('/doc'))).kind).toBe('bad-json');
  });

  it('refuses a body that is not UTF-8', async () => {
    server.route('/doc', { body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]) });
    expect((await failure(server.url('/doc'))).kind).toBe('bad-json');
  });
});

describe('fetchJson: bounds', () => {
  it('refuses an oversized body announced by Content-Length', async () => {
    server.route('/doc', { body: ' '.repeat(5000) + '{}' });
    const error = await failure(server.url('/doc'));
    expect(error.kind).toBe('too-large');
    expect(error.message).toContain('Content-Length 5002 > 1024');
  });

  it('cuts off an oversized body while streaming when no length is announced', async () => {
    server.route('/doc', { body: ' '.repeat(5000) + '{}', contentLength: false });
    const error = await failure(server.url('/doc'));
    expect(error.kind).toBe('too-large');
    expect(error.message).toContain('over 1024 bytes');
  });

  it('accepts a body of exactly the cap', async () => {
    server.route('/doc', { body: ' '.repeat(1022) + '{}', contentLength: false });
    expect((await fetchJson(server.url('/doc'), limits)).json).toEqual({});
  });

  it('times out a server that does not answer', async () => {
    server.route('/doc', { delayMs: 10_000, json: {} });
    const started = Date.now();
    const error = await failure(server.url('/doc'), { ...limits, timeout: 200 });
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('within 200 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out a body that trickles in, the deadline covering the whole response', async () => {
    server.route('/doc', { body: `{"keys":[]}${' '.repeat(200)}`, trickleMs: 50 });
    const started = Date.now();
    const error = await failure(server.url('/doc'), { ...limits, timeout: 300 });
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out even a fetch implementation that ignores the abort signal', async () => {
    const hanging = (() => new Promise<Response>(() => {})) as typeof fetch;
    const error = await failure('https://keys.example/jwks', { ...limits, timeout: 100, fetch: hanging });
    expect(error.kind).toBe('timeout');
  });
});

describe('checkUrl / isLoopbackHost', () => {
  it.each(['https://keys.example/jwks', 'http://127.0.0.1:8080/jwks', 'http://127.9.9.9/jwks', 'http://localhost/jwks', 'http://[::1]:3000/jwks'])(
    'allows %s',
    (url) => expect(checkUrl(url)).toBeUndefined(),
  );

  it.each(['http://keys.example/jwks', 'http://127.0.0.1.nip.io/jwks', 'http://localhost.evil.example/jwks', 'http://10.0.0.1/jwks', 'ftp://keys.example/jwks', 'file:///etc/jwks'])(
    'refuses %s as not https',
    (url) => expect(checkUrl(url)?.kind).toBe('not-https'),
  );

  it('recognises loopback hosts as URL normalises them', () => {
    expect(isLoopbackHost(new URL('http://127.1/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://[0:0:0:0:0:0:0:1]/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://LOCALHOST/').hostname)).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});

describe('parseMaxAge', () => {
  it.each([
    ['max-age=600', 600],
    ['public, max-age=86400, must-revalidate', 86400],
    ['MAX-AGE=60', 60],
    ['max-age="120"', 120],
    ['max-age=0', 0],
    ['max-age=10, max-age=20', 10],
  ])('reads %s as %s', (header, seconds) => expect(parseMaxAge(header)).toBe(seconds));

  it.each([null, '', 'public', 'max-age=', 'max-age=-5', 'max-age=1.5', 'max-age=abc', 'no-store, max-age=600', 'max-age=600, no-cache', 's-maxage=600'])(
    'ignores %s',
    (header) => expect(parseMaxAge(header)).toBeUndefined(),
  );
});
