/**
 * Keys given in configuration, for offline and air-gapped APIs and for HS-signed tokens: a JWKS
 * object, JWKs, PEM public keys or certificates (as Auth0's dashboard offers them), KeyObjects.
 * Everything is normalised to public JWKs once, so choice follows the same `selectKey` rules as
 * a remote set. Reading a PEM takes jose's ASN.1 and key import code, so it is an optional step
 * (`pemKeys`, optional-steps.ts) that the entry point hands in; a JWK or a KeyObject needs none.
 */
import { base64url, exportJWK, importSPKI, importX509 } from 'jose';
import { ConfigurationError, invalidToken } from '../errors.js';
import { missingStep } from '../optional-steps.js';
import { quote } from '../quote.js';
import type { JSONWebKeySet, JWK, JWTHeader, KeySource } from '../types.js';
import { selectKey } from './select.js';

/** Anything with `export({ format: 'jwk' })`: a Node `KeyObject`, without importing node:crypto. */
interface ExportableKey {
  type: string;
  export(options: { format: 'jwk' }): JWK;
}

export type StaticKey = JWK | string | ExportableKey;
export type StaticKeys = JSONWebKeySet | StaticKey | StaticKey[];

/** A PEM public key or certificate as a public JWK, for the first allowed algorithm it fits. */
export type PemImporter = (pem: string, algorithms: readonly string[]) => Promise<JWK>;

export function createStaticKeySource(input: StaticKeys, algorithms: readonly string[], pemToJwk?: PemImporter): KeySource {
  const items: StaticKey[] = Array.isArray(input) ? input : isKeySet(input) ? input.keys : [input];
  if (items.length === 0) throw new TypeError('`keys` holds no key');
  if (pemToJwk === undefined && items.some((item) => typeof item === 'string')) throw missingStep('keys', 'pemKeys', '`keys` holds a PEM key or certificate (a JWK needs no step)');
  // JWKs and KeyObjects are checked now, even beside PEMs (which jose imports asynchronously),
  // so a private key in the configuration fails at startup, not on the first request.
  const converted = items.map((item) => (typeof item === 'string' ? item : toJwk(item)));
  let keys: JWK[] | undefined;
  let loading: Promise<JWK[]> | undefined;
  if (converted.every((item) => typeof item !== 'string')) keys = converted as JWK[];

  const load = () => (loading ??= Promise.all(converted.map((item) => (typeof item === 'string' ? pemToJwk!(item, algorithms) : item))));
  return {
    getKey(header: JWTHeader) {
      if (keys) return choose(keys, header);
      return load().then((loaded) => choose((keys = loaded), header));
    },
    async ready() {
      if (keys) return;
      try {
        keys = await load();
      } catch (error) {
        // A PEM that fits no allowed algorithm can never verify anything: a configuration error.
        throw new ConfigurationError((error as Error & { reason?: string }).reason ?? String(error), 'key_unusable', { cause: error });
      }
    },
  };
}

/** An HS secret: one symmetric key that answers whatever `kid` the token names. */
export function createSecretKeySource(secret: string | Uint8Array): KeySource {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  const key: JWK = { kty: 'oct', k: base64url.encode(bytes) };
  return { getKey: () => key };
}

// A configured key without a `kid` (a PEM, typically) was named by the operator, not by the
// token: it serves tokens whose `kid` matches no configured key, if it alone fits.
function choose(keys: readonly JWK[], header: JWTHeader): JWK {
  const named = selectKey(keys, header);
  if (named) return named;
  const unnamed = keys.filter((candidate) => candidate.kid === undefined);
  if (unnamed.length === 0) {
    throw invalidToken('The token cannot be verified.', `no configured key has kid ${quote(header.kid)}`, { reasonCode: 'unknown_kid' });
  }
  // With no kid to match, selectKey answers a key or throws (none fits, or several do).
  return selectKey(unnamed, { ...header, kid: undefined }) as JWK;
}

function isKeySet(input: StaticKeys): input is JSONWebKeySet {
  return typeof input === 'object' && input !== null && Array.isArray((input as JSONWebKeySet).keys);
}

function toJwk(item: JWK | ExportableKey): JWK {
  if (typeof (item as ExportableKey).export === 'function') {
    const key = item as ExportableKey;
    if (key.type === 'secret') throw new TypeError('a secret KeyObject belongs in the `secret` option');
    const { kty, n, e, crv, x, y } = key.export({ format: 'jwk' });
    return stripUndefined({ kty, n, e, crv, x, y });
  }
  const jwk = item as JWK;
  if (jwk === null || typeof jwk !== 'object' || typeof jwk.kty !== 'string') {
    throw new TypeError('a static key must be a JWK with "kty", a PEM string or a KeyObject');
  }
  if (jwk.d !== undefined || jwk.k !== undefined) {
    throw new TypeError('static keys must be public: a private or symmetric JWK was configured (use `secret` for HS algorithms)');
  }
  return jwk;
}

// jose needs an algorithm to import a PEM; the first allow-listed one the key fits will do,
// since the JWK it exports carries no `alg`.
export async function pemToJwk(pem: string, algorithms: readonly string[]): Promise<JWK> {
  const importer = pem.includes('BEGIN CERTIFICATE') ? importX509 : importSPKI;
  for (const alg of algorithms.filter((candidate) => !candidate.startsWith('HS'))) {
    try {
      const { kty, n, e, crv, x, y } = await exportJWK(await importer(pem, alg, { extractable: true }));
      return stripUndefined({ kty: kty as string, n, e, crv, x, y });
    } catch {
      // Not this algorithm's key type; try the next.
    }
  }
  throw invalidToken('The token cannot be verified.', `a configured PEM key fits none of the algorithms ${algorithms.join(', ')}`, { reasonCode: 'key_unusable' });
}

function stripUndefined(jwk: Record<string, string | undefined>): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([, value]) => value !== undefined)) as JWK;
}
