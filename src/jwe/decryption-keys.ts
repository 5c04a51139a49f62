/**
 * The API's private keys for encrypted access tokens, checked once when the verifier is created
 * (every mistake is a `TypeError` then, never a surprise on a request) and imported lazily, once
 * per key and key-management algorithm, through jose. Only RSA keys of 2048 bits or more: the
 * key-management algorithms this library accepts are the RSA-OAEP family.
 */
import { base64url, importJWK, importPKCS8, type CryptoKey } from 'jose';
import { readPem, readRsaKey, toPem } from './rsa-pem.js';
import type { JWK } from '../types.js';

/** A Node `KeyObject`, described by shape so the core never imports `node:crypto`. */
export interface KeyObjectLike {
  type: string;
  asymmetricKeyType?: string;
  export(options: { format: 'jwk' }): JWK;
}

/** A PEM or KeyObject with the `kid` the issuer writes in the JWE header for it. */
export interface NamedDecryptionKey {
  kid: string;
  key: string | KeyObjectLike | JWK;
}

/** PEM (PKCS#8 or PKCS#1), Node KeyObject, private JWK, or one of those with a `kid`. */
export type DecryptionKeyInput = string | KeyObjectLike | JWK | NamedDecryptionKey;

export interface DecryptionKey {
  /** How reasons name the key: `kid "…"` or its position in `decryptionKeys`. */
  readonly label: string;
  readonly kid: string | undefined;
  /** The one key-management algorithm a JWK restricts itself to with `alg`, if any. */
  readonly alg: string | undefined;
  /** The RSA modulus in bytes: the exact length of an encrypted key this key can open. */
  readonly modulusBytes: number;
  /** The key ready for `alg`, imported on first use and cached. */
  forAlgorithm(alg: string): Promise<CryptoKey>;
}

/** Each extra key can cost one RSA private-key operation per token without a `kid`: keep it small. */
export const MAX_DECRYPTION_KEYS = 5;
const MIN_MODULUS_BITS = 2048;
const RSA_PRIVATE_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/** Validates `decryptionKeys`; `algorithms` is the configured key-management allow-list. */
export function prepareDecryptionKeys(inputs: unknown, algorithms: readonly string[]): DecryptionKey[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new TypeError('`decryptionKeys` must be a non-empty array of private keys (PEM, KeyObject or JWK), or be left out');
  }
  if (inputs.length > MAX_DECRYPTION_KEYS) {
    throw new TypeError(`\`decryptionKeys\` holds ${inputs.length} keys; at most ${MAX_DECRYPTION_KEYS} (a rotation needs two or three)`);
  }
  const keys = inputs.map((input, index) => {
    try {
      return prepareKey(input, index, algorithms);
    } catch (error) {
      throw new TypeError(`\`decryptionKeys[${index}]\`: ${(error as Error).message}`, { cause: error });
    }
  });
  const kids = keys.map((key) => key.kid).filter((kid) => kid !== undefined);
  const repeated = kids.find((kid, i) => kids.indexOf(kid) !== i);
  if (repeated !== undefined) throw new TypeError(`two \`decryptionKeys\` have kid "${repeated}"; a kid must name one key`);
  return keys;
}

type Material = { kind: 'jwk'; jwk: JWK } | { kind: 'pkcs8'; pem: string };

function prepareKey(input: unknown, index: number, algorithms: readonly string[]): DecryptionKey {
  let kid: string | undefined;
  let value = input;
  if (isNamed(value)) {
    if (typeof value.kid !== 'string' || value.kid === '') throw new TypeError('`kid` must be a non-empty string');
    kid = value.kid;
    value = value.key;
  }
  let material: Material;
  let modulusBits: number;
  let alg: string | undefined;
  if (typeof value === 'string') {
    const info = readRsaKey(readPem(value));
    if (!info.isPrivate || !info.pkcs8) throw publicKeyGiven();
    material = { kind: 'pkcs8', pem: toPem('PRIVATE KEY', info.pkcs8) };
    modulusBits = info.modulusBits;
  } else if (isKeyObject(value)) {
    const jwk = checkJwk(keyObjectToJwk(value), algorithms);
    material = { kind: 'jwk', jwk: jwk.material };
    modulusBits = jwk.modulusBits;
  } else if (isJwk(value)) {
    const jwk = checkJwk(value, algorithms);
    if (kid !== undefined && value.kid !== undefined && value.kid !== kid) {
      throw new TypeError(`the JWK's kid "${value.kid}" differs from the kid "${kid}" given with it`);
    }
    if (value.kid !== undefined && typeof value.kid !== 'string') throw new TypeError('the JWK `kid` must be a string');
    kid ??= value.kid;
    alg = value.alg;
    material = { kind: 'jwk', jwk: jwk.material };
    modulusBits = jwk.modulusBits;
  } else {
    throw new TypeError('a decryption key must be a PEM string, a KeyObject, a private JWK, or { kid, key }');
  }
  if (modulusBits < MIN_MODULUS_BITS) throw new TypeError(`the RSA key has ${modulusBits} bits; RSA-OAEP needs at least ${MIN_MODULUS_BITS}`);
  return keyHandle(material, {
    label: kid === undefined ? `#${index + 1}` : `kid "${kid}"`,
    kid,
    alg,
    modulusBytes: Math.ceil(modulusBits / 8),
  });
}

function keyHandle(material: Material, description: Omit<DecryptionKey, 'forAlgorithm'>): DecryptionKey {
  const imported = new Map<string, Promise<CryptoKey>>();
  return {
    ...description,
    forAlgorithm(alg: string): Promise<CryptoKey> {
      let key = imported.get(alg);
      if (!key) {
        key = material.kind === 'pkcs8' ? importPKCS8(material.pem, alg) : (importJWK(material.jwk, alg) as Promise<CryptoKey>);
        imported.set(alg, key);
        // A failed import is not remembered: it says nothing about the next attempt's odds.
        key.catch(() => imported.delete(alg));
      }
      return key;
    },
  };
}

function keyObjectToJwk(key: KeyObjectLike): JWK {
  if (key.type === 'public') throw publicKeyGiven();
  if (key.type === 'secret') throw new TypeError('a secret KeyObject was given; symmetric key management (dir, A*KW) is not supported');
  if (key.type !== 'private') throw new TypeError(`a KeyObject of type "${key.type}" cannot decrypt`);
  if (key.asymmetricKeyType !== undefined && key.asymmetricKeyType !== 'rsa') {
    throw new TypeError(`the KeyObject is an ${key.asymmetricKeyType} key; RSA-OAEP key management needs an RSA key`);
  }
  return key.export({ format: 'jwk' });
}

/** Checks a private RSA JWK; returns the members WebCrypto needs, nothing else. */
function checkJwk(jwk: JWK, algorithms: readonly string[]): { material: JWK; modulusBits: number } {
  if (jwk.kty === 'oct') throw new TypeError('a symmetric ("oct") JWK was given; dir and AES key wrapping are not supported');
  if (jwk.kty !== 'RSA') throw new TypeError(`a "${String(jwk.kty)}" JWK was given; RSA-OAEP key management needs an RSA key`);
  if (jwk.d === undefined) throw publicKeyGiven();
  const missing = RSA_PRIVATE_MEMBERS.filter((name) => typeof jwk[name] !== 'string' || jwk[name] === '');
  if (missing.length > 0) throw new TypeError(`the private RSA JWK lacks ${missing.join(', ')}`);
  if (jwk.use !== undefined && jwk.use !== 'enc') throw new TypeError(`the JWK's use is "${String(jwk.use)}", not "enc"`);
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.some((op) => op === 'decrypt' || op === 'unwrapKey'))) {
    throw new TypeError('the JWK\'s key_ops include neither "decrypt" nor "unwrapKey"');
  }
  if (jwk.alg !== undefined && !algorithms.includes(jwk.alg)) {
    throw new TypeError(`the JWK is for alg "${jwk.alg}", which is not in keyManagementAlgorithms [${algorithms.join(', ')}]`);
  }
  let modulus: Uint8Array;
  try {
    modulus = base64url.decode(jwk.n as string);
  } catch {
    throw new TypeError('the JWK modulus "n" is not base64url');
  }
  let first = 0;
  while (first < modulus.length - 1 && modulus[first] === 0) first++;
  const modulusBits = (modulus.length - first - 1) * 8 + (32 - Math.clz32(modulus[first] ?? 0));
  const material = Object.fromEntries(RSA_PRIVATE_MEMBERS.map((name) => [name, jwk[name]]));
  return { material: { kty: 'RSA', ...material }, modulusBits };
}

function publicKeyGiven(): TypeError {
  return new TypeError('a public key was given; decryption needs the private key (the public key is what the issuer is given)');
}

function isNamed(value: unknown): value is NamedDecryptionKey {
  return typeof value === 'object' && value !== null && 'key' in value && !('kty' in value);
}

function isKeyObject(value: unknown): value is KeyObjectLike {
  return typeof value === 'object' && value !== null && typeof (value as KeyObjectLike).export === 'function' && typeof (value as KeyObjectLike).type === 'string';
}

function isJwk(value: unknown): value is JWK {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as JWK).kty === 'string';
}
