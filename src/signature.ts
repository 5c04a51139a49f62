/**
 * Parsing a compact JWS and checking its signature (RFC 7515). The header may name a key
 * (`kid`) and an algorithm from the allow-list; it never supplies one: `jku`, `x5u`, `jwk` and
 * `x5c` play no part, and any `crit` extension is refused because this library implements none.
 */
import { hasCanonicalEnd, isBase64Url } from './crypto/base64url.js';
import type { CryptoBackend, PreparedKey } from './crypto/types.js';
import { invalidToken } from './errors.js';
import { quote } from './quote.js';
import type { JWK, JWTHeader, KeySource } from './types.js';

const MALFORMED = 'The access token is malformed.';
const SEGMENT = /^[A-Za-z0-9_-]+$/;

export interface CompactJws {
  header: JWTHeader;
  /** The header as it appears in the token (base64url). */
  headerSegment: string;
  /** True when the header came from a `HeaderCache` (it was already remembered). */
  headerCached?: boolean;
  /** `base64url(header) "." base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  payload: string;
  signature: string;
  /** The key the signature verified with, once it has. */
  key?: JWK;
}

/**
 * Splits and decodes the header; the payload stays encoded until the signature is checked.
 * With `headers`, a header segment seen before on a verified token is not decoded again.
 *
 * The payload's alphabet is not checked here: the signature covers the UTF-8 bytes of the
 * signing input, so once it verifies the payload is exactly the issuer's, and a token whose
 * signature fails is checked then, for the precise reason (`#conclude`). The
 * signature's own alphabet is checked, because base64url decoders are lenient (Node's takes
 * `+`, `/`, skips unknown characters and reads only the low byte of others), and a lenient
 * decode would let many spellings of one token verify; for the same reason every segment must
 * be canonically encoded (crypto/base64url.ts).
 */
export function parseCompactJws(token: string, backend: CryptoBackend, headers?: HeaderCache): CompactJws {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) {
    throw invalidToken(MALFORMED, 'the token is not a compact JWS (three dot-separated parts)');
  }
  const headerSegment = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (signature === '') throw invalidToken(MALFORMED, 'the token is unsigned (empty signature part)');
  // A known segment is one that already passed these tests and parseHeader. The payload's end
  // is checked now (it costs nothing), its alphabet only if the signature fails (see above).
  const known = headers?.get(headerSegment);
  if ((known === undefined && !isBase64Url(headerSegment)) || payload === '' || !hasCanonicalEnd(payload) || !isBase64Url(signature)) {
    throw notBase64Url();
  }
  const header = known ?? parseHeader(headerSegment, backend);
  return { header, headerSegment, headerCached: known !== undefined, signingInput: token.slice(0, second), payload, signature };
}

/** Most distinct headers remembered; an issuer uses a handful (one per signing key). */
const HEADER_CACHE_SIZE = 32;

/**
 * Headers of tokens whose signature verified, by their encoded segment. An issuer puts the same
 * few headers on every token it signs, so after the first token each is a map read instead of a
 * base64 decode, a JSON parse and the checks of `parseHeader`. Only headers of verified tokens
 * enter (a forger cannot fill it), only flat ones (every member a primitive, so a shallow copy
 * is a full one), and every reader gets its own copy. Bounded: when full, it starts over.
 */
export class HeaderCache {
  readonly #entries = new Map<string, JWTHeader>();

  get(segment: string): JWTHeader | undefined {
    const header = this.#entries.get(segment);
    return header === undefined ? undefined : { ...header };
  }

  remember(segment: string, header: JWTHeader): void {
    if (this.#entries.has(segment)) return;
    for (const name in header) {
      const value = header[name];
      if (value !== null && typeof value === 'object') return;
    }
    if (this.#entries.size >= HEADER_CACHE_SIZE) this.#entries.clear();
    this.#entries.set(segment, { ...header });
  }
}

export function parseHeader(segment: string, backend: CryptoBackend): JWTHeader {
  let header: unknown;
  try {
    header = JSON.parse(backend.decodeBase64UrlText(segment));
  } catch {
    throw invalidToken(MALFORMED, 'the header is not base64url-encoded JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw invalidToken(MALFORMED, 'the header is not a JSON object');
  }
  const { alg, kid, crit } = header as JWTHeader;
  if (typeof alg !== 'string') throw invalidToken(MALFORMED, 'the header has no alg');
  if (kid !== undefined && typeof kid !== 'string') throw invalidToken(MALFORMED, 'the header kid is not a string');
  if (crit !== undefined) {
    throw invalidToken('The access token is invalid.', `the header marks ${quote(crit)} critical, and no such extension is supported`);
  }
  return header as JWTHeader;
}

/**
 * Verifies signatures against keys from one key source. Prepared keys (KeyObjects or
 * CryptoKeys) are cached per JWK object: a key set replaced by a refresh drops its prepared keys
 * with it, so the cache is bounded by the sets in use.
 */
export class SignatureVerifier {
  readonly #backend: CryptoBackend;
  readonly #algorithms: ReadonlySet<string>;
  readonly #keySource: (alg: string) => KeySource;
  readonly #prepared = new WeakMap<JWK, Map<string, PreparedKey | Promise<PreparedKey>>>();
  readonly #headers = new HeaderCache();

  constructor(backend: CryptoBackend, algorithms: readonly string[], keySource: (alg: string) => KeySource) {
    this.#backend = backend;
    this.#algorithms = new Set(algorithms);
    this.#keySource = keySource;
  }

  /** `parseCompactJws`, with the headers of the tokens this verifier has already verified. */
  parse(token: string): CompactJws {
    return parseCompactJws(token, this.#backend, this.#headers);
  }

  /**
   * Returns when the signature is good and throws a typed error otherwise, without a promise
   * unless one is needed: on Node, with the key in memory, it
   * returns (or throws) synchronously, and the request awaits nothing it does not have to. It
   * returns a promise only for a key still being fetched or imported, or a WebCrypto verify.
   */
  check(jws: CompactJws): void | Promise<void> {
    const { alg } = jws.header;
    if (!this.#algorithms.has(alg)) {
      throw invalidToken('The access token is invalid.', `alg ${quote(alg)} is not in the allow-list [${[...this.#algorithms].join(', ')}]`);
    }
    const found = this.#keySource(alg).getKey(jws.header);
    return found instanceof Promise ? found.then((jwk) => this.#checkWith(jwk, jws)) : this.#checkWith(found, jws);
  }

  /**
   * Whether the key that verified a token is still in its source's current set: a result
   * remembered beyond the check (the result cache) is worth no more than its key.
   */
  stillTrusts(header: JWTHeader, key: JWK | undefined): boolean {
    if (key === undefined) return false;
    const source = this.#keySource(header.alg);
    return source.isCurrent === undefined || source.isCurrent(key);
  }

  #checkWith(jwk: JWK, jws: CompactJws): void | Promise<void> {
    jws.key = jwk;
    const ready = this.#prepare(jwk, jws.header.alg);
    if (ready instanceof Promise) return ready.then((key) => this.#checkSignature(key, jws));
    return this.#checkSignature(ready, jws);
  }

  #checkSignature(key: PreparedKey, jws: CompactJws): void | Promise<void> {
    const backend = this.#backend;
    const checked = backend.verify(key, jws.signingInput, jws.signature);
    return checked instanceof Promise ? checked.then((good) => this.#conclude(good, jws)) : this.#conclude(checked, jws);
  }

  #conclude(good: boolean, jws: CompactJws): void {
    if (!good) {
      if (!SEGMENT.test(jws.payload)) throw notBase64Url();
      throw invalidToken('The access token is invalid.', `the signature does not verify (alg ${quote(jws.header.alg)}, kid ${quote(jws.header.kid)})`);
    }
    if (!jws.headerCached) this.#headers.remember(jws.headerSegment, jws.header);
  }

  #prepare(jwk: JWK, alg: string): PreparedKey | Promise<PreparedKey> {
    let byAlg = this.#prepared.get(jwk);
    const cached = byAlg?.get(alg);
    if (cached) return cached;
    if (!byAlg) this.#prepared.set(jwk, (byAlg = new Map()));
    try {
      const prepared = this.#backend.importKey(jwk, alg);
      byAlg.set(alg, prepared);
      if (prepared instanceof Promise) {
        // Replace the promise by the key once ready; forget a failure so it is not cached.
        prepared.then((key) => byAlg.set(alg, key), () => byAlg.delete(alg));
        return prepared.catch((error: unknown) => {
          throw unusableKey(jwk, error);
        });
      }
      return prepared;
    } catch (error) {
      throw unusableKey(jwk, error);
    }
  }
}

function notBase64Url() {
  return invalidToken(MALFORMED, 'a part of the token is empty or not base64url (canonically encoded, RFC 4648 §3.5)');
}

function unusableKey(jwk: JWK, error: unknown) {
  return invalidToken('The token cannot be verified.', `key ${quote(jwk.kid)} is unusable: ${(error as Error).message}`, { cause: error });
}
