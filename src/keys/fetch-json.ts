/**
 * A bounded HTTP fetch, shared by the key sources and token introspection (README, "Key source
 * behaviour"): one deadline for the whole response, body included; a byte cap enforced while
 * streaming; no redirects; https only, loopback excepted. A GET of JSON by default; a POST of a
 * form body when `form` is given. Web APIs only (fetch, AbortController, TextDecoder,
 * setTimeout), so the same code runs on Node, Cloudflare workerd, Deno and Bun.
 */

/** Why a fetch failed; `message` holds the URL and the precise detail. */
export type FetchFailureKind =
  | 'invalid-url'
  | 'not-https'
  | 'network'
  | 'timeout'
  | 'redirect'
  | 'status'
  | 'too-large'
  | 'bad-json';

export class FetchJsonError extends Error {
  readonly kind: FetchFailureKind;
  readonly url: string;
  /** The HTTP status, for `status` and `redirect` failures. */
  readonly status?: number;

  constructor(kind: FetchFailureKind, url: string, detail: string, options?: { cause?: unknown; status?: number }) {
    super(`${url}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FetchJsonError';
    this.kind = kind;
    this.url = url;
    this.status = options?.status;
  }
}

export interface FetchJsonOptions {
  /** Deadline for the whole response, headers and body, in milliseconds. */
  timeout: number;
  /** Largest accepted body, in bytes. */
  maxBytes: number;
  /** Default: the global `fetch`, looked up at call time. */
  fetch?: typeof fetch;
  /** POST these fields as `application/x-www-form-urlencoded` instead of a GET. */
  form?: Record<string, string>;
  /** Request headers, added to (or replacing) the default `accept`. */
  headers?: Record<string, string>;
}

export interface FetchedJson {
  json: unknown;
  /** Seconds from `Cache-Control: max-age`; absent when the header is missing, invalid or forbids caching. */
  maxAge?: number;
}

export interface FetchedBody {
  bytes: Uint8Array;
  /** The response's `Content-Type`, lower-cased, parameters removed; '' when absent. */
  contentType: string;
  maxAge?: number;
}

/** GETs `url` (or POSTs `form`) and parses its body as JSON; every failure is a `FetchJsonError`. */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<FetchedJson> {
  const { bytes, maxAge } = await fetchBody(url, options);
  return { json: parseJson(bytes, url), maxAge };
}

/** The body of a bounded fetch, unparsed; every failure is a `FetchJsonError`. */
export async function fetchBody(url: string, options: FetchJsonOptions): Promise<FetchedBody> {
  const refusal = checkUrl(url);
  if (refusal) throw refusal;

  // The signal tears the connection down; the deadline promise is what callers actually wait
  // on, so a fetch implementation that ignores the signal still cannot hang us.
  const controller = new AbortController();
  const timeoutError = new FetchJsonError('timeout', url, `timed out: no complete response within ${options.timeout} ms`);
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(timeoutError);
      controller.abort(timeoutError);
    }, options.timeout);
  });
  deadline.catch(ignore);

  try {
    const doFetch = options.fetch ?? fetch;
    const response = await Promise.race([
      doFetch(url, {
        method: options.form ? 'POST' : 'GET',
        redirect: 'manual',
        signal: controller.signal,
        headers: {
          accept: 'application/json, application/jwk-set+json',
          ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...options.headers,
        },
        body: options.form ? new URLSearchParams(options.form).toString() : undefined,
      }),
      deadline,
    ]);
    checkResponse(response, url, options.maxBytes);
    const bytes = await readCapped(response, url, options.maxBytes, deadline);
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    return { bytes, contentType, maxAge: parseMaxAge(response.headers.get('cache-control')) };
  } catch (error) {
    if (timedOut) throw timeoutError;
    if (error instanceof FetchJsonError) throw error;
    throw new FetchJsonError('network', url, `request failed (${networkDetail(error)})`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Returns why `url` may not be fetched (not absolute, or not https on a non-loopback host), if it may not. */
export function checkUrl(url: string): FetchJsonError | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new FetchJsonError('invalid-url', url, 'not an absolute URL');
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return undefined;
  return new FetchJsonError('not-https', url, 'refused: not https (plain http is allowed for loopback hosts only)');
}

/** `hostname` as `URL` normalises it: 127.0.0.0/8, `[::1]` or `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Seconds from a `Cache-Control` value's first `max-age` (RFC 9111 §5.2.2.1). `no-store` or
 * `no-cache` anywhere means the server gave us no lifetime to honour, so: undefined.
 */
export function parseMaxAge(cacheControl: string | null | undefined): number | undefined {
  if (!cacheControl) return undefined;
  let maxAge: number | undefined;
  let seen = false;
  for (const directive of cacheControl.split(',')) {
    const eq = directive.indexOf('=');
    const name = (eq === -1 ? directive : directive.slice(0, eq)).trim().toLowerCase();
    if (name === 'no-store' || name === 'no-cache') return undefined;
    if (name === 'max-age' && !seen) {
      seen = true;
      // RFC 9111 §1.2.2 asks recipients to accept the quoted form too.
      const value = eq === -1 ? '' : directive.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (/^\d+$/.test(value)) maxAge = Number(value);
    }
  }
  return maxAge;
}

function checkResponse(response: Response, url: string, maxBytes: number): void {
  // Browsers and workerd report a manual redirect as an opaque response with status 0.
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    discard(response);
    const location = response.headers.get('location');
    throw new FetchJsonError(
      'redirect',
      url,
      `redirect refused (HTTP ${response.status}${location ? ` to ${location}` : ''})`,
      { status: response.status },
    );
  }
  if (!response.ok) {
    discard(response);
    throw new FetchJsonError('status', url, `HTTP ${response.status}`, { status: response.status });
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    discard(response);
    throw new FetchJsonError('too-large', url, `response too large (Content-Length ${declared} > ${maxBytes} bytes)`);
  }
}

/** Reads the body chunk by chunk so an oversized or endless body is cut off, not buffered. */
async function readCapped(response: Response, url: string, maxBytes: number, deadline: Promise<never>): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        throw new FetchJsonError('too-large', url, `response too large (over ${maxBytes} bytes)`);
      }
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(ignore);
    throw error;
  }
  return concat(chunks, size);
}

/** The body as JSON (UTF-8, strictly); a `FetchJsonError` of kind `bad-json` otherwise. */
export function parseJson(bytes: Uint8Array, url: string): unknown {
  try {
    // `fatal` so a body in another encoding is refused rather than silently mangled.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new FetchJsonError('bad-json', url, `bad JSON (${detail})`, { cause: error });
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Frees the connection of a response we will not read. */
function discard(response: Response): void {
  response.body?.cancel().catch(ignore);
}

/** The most precise account of a network failure: Node's fetch hides the errno in `cause`. */
function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function ignore(): void {}
