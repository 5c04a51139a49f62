/**
 * Parsing a compact JWS and checking its signature (RFC 7515). The header may name a key
 * (`kid`) and an algorithm from the allow-list; it never supplies one: `jku`, `x5u`, `jwk` and
 * `x5c` play no part, and any `crit` extension is refused because this library implements none.
 */
import type { CryptoBackend, PreparedKey } from './crypto/types.js';
import { invalidToken } from './errors.js';
import type { JWK, JWTHeader, KeySource } from './types.js';

const MALFORMED = 'The access token is malformed.';
const SEGMENT = /^[A-Za-z0-9_-]+$/;

export interface CompactJws {
  header: JWTHeader;
  /** `base64url(header) "." base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  payload: string;
  signature: string;
}

/** Splits and decodes the header; the payload stays encoded until the signature is checked. */
export function parseCompactJws(token: string, backend: CryptoBackend): CompactJws {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) {
    throw invalidToken(MALFORMED, 'the token is not a compact JWS (three dot-separated parts)');
  }
  const headerSegment = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (signature === '') throw invalidToken(MALFORMED, 'the token is unsigned (empty signature part)');
  if (!SEGMENT.test(headerSegment) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) {
    throw invalidToken(MALFORMED, 'a part of the token is empty or not base64url');
  }
  return { header: parseHeader(headerSegment, backend), signingInput: token.slice(0, second), payload, signature };
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
    throw invalidToken('The access token is invalid.', `the header marks ${JSON.stringify(crit)} critical, and no such extension is supported`);
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

  constructor(backend: CryptoBackend, algorithms: readonly string[], keySource: (alg: string) => KeySource) {
    this.#backend = backend;
    this.#algorithms = new Set(algorithms);
    this.#keySource = keySource;
  }

  /** Resolves when the signature is good; rejects with a typed error otherwise. */
  async verify(jws: CompactJws): Promise<void> {
    const { alg } = jws.header;
    if (!this.#algorithms.has(alg)) {
      throw invalidToken('The access token is invalid.', `alg "${alg}" is not in the allow-list [${[...this.#algorithms].join(', ')}]`);
    }
    const found = this.#keySource(alg).getKey(jws.header);
    const jwk = found instanceof Promise ? await found : found;
    const ready = this.#prepare(jwk, alg);
    const key = ready instanceof Promise ? await ready : ready;
    const backend = this.#backend;
    const checked = backend.verify(key, backend.asciiBytes(jws.signingInput), backend.decodeBase64Url(jws.signature));
    if (!(checked instanceof Promise ? await checked : checked)) {
      throw invalidToken('The access token is invalid.', `the signature does not verify (alg ${alg}, kid ${jws.header.kid ?? 'none'})`);
    }
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

function unusableKey(jwk: JWK, error: unknown) {
  return invalidToken('The token cannot be verified.', `key ${jwk.kid ?? '(no kid)'} is unusable: ${(error as Error).message}`, { cause: error });
}
