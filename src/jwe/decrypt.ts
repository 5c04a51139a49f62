/**
 * Compact nested JWE access tokens: the issuer signs the token (RFC 7515), then encrypts it to
 * the API's RSA public key (RFC 7516 §7.1, RFC 7519 §5.2). This step decrypts and hands the
 * inner JWS to the signature step, which verifies it exactly as it would an unencrypted token.
 *
 * Everything a token could use to make us work is settled first, from its header and lengths
 * alone: size, shape, `alg` and `enc` against the allow-lists, `zip`, `crit`, `cty`, IV and tag
 * lengths, and which configured key can open the encrypted key. Only then does the RSA
 * private-key operation run (the expensive part), at most once per candidate key. A failure
 * says precisely why in `reason` (for logs); the client only ever sees a generic `description`,
 * so nothing about keys or padding leaks to whoever probes the API.
 */
import { base64url, compactDecrypt } from 'jose';
import { prepareDecryptionKeys, type DecryptionKey } from './decryption-keys.js';
import { invalidToken as refusal, type AccessTokenErrorInit } from '../errors.js';
import { isCompactJwe } from './compact.js';
import { quote } from '../quote.js';
import { isBase64Url } from '../crypto/base64url.js';
import type { VerifierOptions } from '../options.js';

/** jose's `code` for a JWE whose key or tag does not check out (its errors reference). */
const JWE_DECRYPTION_FAILED = 'ERR_JWE_DECRYPTION_FAILED';

export { isCompactJwe };
export type { DecryptionKeyInput, KeyObjectLike, NamedDecryptionKey } from './decryption-keys.js';

export type DecryptionOptions = Pick<VerifierOptions, 'decryptionKeys' | 'keyManagementAlgorithms' | 'contentEncryptionAlgorithms' | 'requireEncryption'>;

/** Returns the compact JWS to verify: the token itself, or what it decrypts to. */
export type DecryptStep = (token: string) => string | Promise<string>;

/** Key management this library implements: RSA-OAEP only (RFC 7518 §4.3). */
export const KEY_MANAGEMENT_ALGORITHMS = ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512', 'RSA-OAEP'] as const;
export const DEFAULT_KEY_MANAGEMENT_ALGORITHMS = ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'] as const;

/** Content encryption (RFC 7518 §5), with the IV and tag sizes each must have, in bytes. */
const CONTENT_ENCRYPTION: Record<string, { iv: number; tag: number }> = {
  A128GCM: { iv: 12, tag: 16 },
  A192GCM: { iv: 12, tag: 16 },
  A256GCM: { iv: 12, tag: 16 },
  'A128CBC-HS256': { iv: 16, tag: 16 },
  'A192CBC-HS384': { iv: 16, tag: 24 },
  'A256CBC-HS512': { iv: 16, tag: 32 },
};
export const CONTENT_ENCRYPTION_ALGORITHMS = Object.keys(CONTENT_ENCRYPTION);

/** Every refusal of this step is `jwe_invalid` unless it says otherwise. */
const invalidToken = (description: string, reason: string, init?: AccessTokenErrorInit) => refusal(description, reason, { reasonCode: 'jwe_invalid', ...init });

/** Used when `maxTokenLength` is not set: the verifier's own default. */
const DEFAULT_MAX_LENGTH = 16384;

const MALFORMED = 'The access token is malformed.';
const INVALID = 'The access token is invalid.';
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** `cty` values that announce a signed JWT inside (RFC 7519 §5.2, RFC 9068 §2.1), normalised. */
const NESTED_JWT_TYPES = new Set(['application/jwt', 'application/at+jwt']);

interface DecryptionConfig {
  keys: DecryptionKey[] | undefined;
  required: boolean;
  keyManagement: ReadonlySet<string>;
  contentEncryption: ReadonlySet<string>;
  maxLength: number;
}

interface JweHeader {
  alg: string;
  enc: string;
  kid?: string;
  [name: string]: unknown;
}

/** What the checks learned about a JWE: its header, and the size of its encrypted key. */
interface Inspected {
  header: JweHeader;
  encryptedKeyBytes: number;
}


export function createDecryptStep(options: DecryptionOptions & { maxTokenLength?: number }): DecryptStep {
  const config = resolveOptions(options);
  return (token) => {
    if (!isCompactJwe(token)) {
      // A plain JWS goes on synchronously: the signature step's hot path stays free of promises.
      if (config.required) throw invalidToken(INVALID, 'requireEncryption is set and the token is not encrypted (a JWE has five parts)', { reasonCode: 'encryption_required' });
      return token;
    }
    if (!config.keys) {
      if (isDirectEncryption(token)) throw encryptedForIssuer();
      throw invalidToken(INVALID, 'the token is encrypted (JWE) and no decryptionKeys are configured: set `decryptionKeys` to the private key the issuer encrypts to', {
        reasonCode: 'decryption_keys_missing',
      });
    }
    const inspected = inspect(token, config);
    return decrypt(token, inspected.header, candidates(inspected, config.keys));
  };
}

/**
 * `alg: dir` (a shared content key): no API holds such a key, and it is what Auth0 issues, to
 * itself, when the client asked for no `audience`. Read only to explain a refusal.
 */
function isDirectEncryption(token: string): boolean {
  try {
    return (JSON.parse(new TextDecoder().decode(base64url.decode(token.slice(0, token.indexOf('.'))))) as { alg?: unknown }).alg === 'dir';
  } catch {
    return false;
  }
}

function encryptedForIssuer(prefix = '') {
  return invalidToken(
    INVALID,
    prefix + "the token is a JWE with alg \"dir\", which only its issuer can read: on Auth0 the client requested no audience, so it got a token for Auth0 itself; request the API's audience when getting the token",
    { reasonCode: 'no_audience_requested' },
  );
}

/** Misconfiguration is a `TypeError` when the verifier is created. */
function resolveOptions(options: DecryptionOptions & { maxTokenLength?: number }): DecryptionConfig {
  const { decryptionKeys, requireEncryption, maxTokenLength } = options;
  if (requireEncryption !== undefined && typeof requireEncryption !== 'boolean') throw new TypeError('`requireEncryption` must be a boolean');
  const keyManagement = allowList('keyManagementAlgorithms', options.keyManagementAlgorithms, DEFAULT_KEY_MANAGEMENT_ALGORITHMS, KEY_MANAGEMENT_ALGORITHMS);
  const contentEncryption = allowList('contentEncryptionAlgorithms', options.contentEncryptionAlgorithms, CONTENT_ENCRYPTION_ALGORITHMS, CONTENT_ENCRYPTION_ALGORITHMS);
  const keys = decryptionKeys === undefined ? undefined : prepareDecryptionKeys(decryptionKeys, keyManagement);
  if (requireEncryption && !keys) throw new TypeError('`requireEncryption` needs `decryptionKeys`: without keys no token could be accepted');
  return {
    keys,
    required: requireEncryption === true,
    keyManagement: new Set(keyManagement),
    contentEncryption: new Set(contentEncryption),
    maxLength: typeof maxTokenLength === 'number' && maxTokenLength > 0 ? maxTokenLength : DEFAULT_MAX_LENGTH,
  };
}

function allowList(name: string, given: unknown, defaults: readonly string[], supported: readonly string[]): string[] {
  if (given === undefined) return [...defaults];
  if (!Array.isArray(given) || given.length === 0) throw new TypeError(`\`${name}\` must be a non-empty array`);
  for (const alg of given) {
    if (!supported.includes(alg)) {
      throw new TypeError(`\`${name}\` names ${JSON.stringify(alg)}${refusalNote(String(alg))}; supported: ${supported.join(', ')}`);
    }
  }
  return [...new Set(given as string[])];
}

/** Why the notable algorithms are left out, for the one who tries to allow them. */
function refusalNote(alg: string): string {
  if (alg === 'RSA1_5') return ' (RSAES-PKCS1-v1_5 invites padding-oracle attacks)';
  if (alg.startsWith('PBES2')) return ' (password-based key management, costly by design and meant for people, not APIs)';
  if (alg.startsWith('ECDH-ES')) return ' (ECDH key agreement is not supported)';
  if (alg === 'dir' || /^A\d+(GCM)?KW$/.test(alg)) return ' (symmetric key management would give every holder of the key the power to mint tokens)';
  return '';
}

/** Every check that needs no key: the token's shape and header against the policy. */
function inspect(token: string, config: DecryptionConfig): Inspected {
  if (token.length > config.maxLength) {
    throw invalidToken(MALFORMED, `the encrypted token is ${token.length} characters, over the limit of ${config.maxLength}`);
  }
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = token.split('.') as [string, string, string, string, string];
  const header = parseHeader(protectedHeader);
  const { alg, enc } = header;
  if (!config.keyManagement.has(alg)) {
    if (alg === 'dir') throw encryptedForIssuer(`JWE alg "dir" is not in the allow-list [${[...config.keyManagement].join(', ')}]: `);
    throw invalidToken(INVALID, `JWE alg ${quote(alg)} is not in the allow-list [${[...config.keyManagement].join(', ')}]`);
  }
  if (!config.contentEncryption.has(enc)) {
    throw invalidToken(INVALID, `JWE enc ${quote(enc)} is not in the allow-list [${[...config.contentEncryption].join(', ')}]`);
  }
  if (header.zip !== undefined) throw invalidToken(INVALID, 'the JWE is compressed ("zip"); compressed tokens are refused');
  if (header.crit !== undefined) {
    throw invalidToken(INVALID, `the JWE header marks ${quote(header.crit)} critical, and no such extension is supported`);
  }
  checkContentType(header.cty);
  if (![encryptedKey, iv, ciphertext, tag].every(isBase64Url)) {
    throw invalidToken(MALFORMED, 'a part of the JWE is empty or not base64url (canonically encoded; RSA-OAEP tokens have all five)');
  }
  const sizes = CONTENT_ENCRYPTION[enc] as { iv: number; tag: number };
  if (iv.length !== encodedLength(sizes.iv) || tag.length !== encodedLength(sizes.tag)) {
    throw invalidToken(MALFORMED, `the JWE IV or authentication tag has the wrong length for ${enc}`);
  }
  return { header, encryptedKeyBytes: decodedLength(encryptedKey) };
}

function parseHeader(segment: string): JweHeader {
  if (!isBase64Url(segment)) throw invalidToken(MALFORMED, 'the JWE protected header is empty or not base64url (canonically encoded)');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment)));
  } catch {
    throw invalidToken(MALFORMED, 'the JWE protected header is not base64url-encoded JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw invalidToken(MALFORMED, 'the JWE protected header is not a JSON object');
  }
  const { alg, enc, kid } = header as Record<string, unknown>;
  if (typeof alg !== 'string' || typeof enc !== 'string') throw invalidToken(MALFORMED, 'the JWE header lacks a string alg or enc');
  if (kid !== undefined && typeof kid !== 'string') throw invalidToken(MALFORMED, 'the JWE header kid is not a string');
  return header as JweHeader;
}

/**
 * `cty` must say the payload is a JWT (RFC 7519 §5.2 makes it mandatory for nested JWTs;
 * `at+jwt` is how RFC 9068 issuers such as oidc-provider write it). Refusing a missing `cty`
 * is deliberate: a JWE without it is an encrypted claims set with no signature inside, which
 * anyone holding the public key could have produced, and we can refuse it before any RSA work.
 * Media types are case-insensitive and `application/` may be left out (RFC 7515 §4.1.10).
 */
function checkContentType(cty: unknown): void {
  if (cty === undefined) {
    throw invalidToken(INVALID, 'the JWE has no cty: it does not declare a signed JWT inside (encrypted but unsigned tokens are refused)');
  }
  if (typeof cty !== 'string') throw invalidToken(MALFORMED, 'the JWE header cty is not a string');
  const lower = cty.toLowerCase();
  const mediaType = lower.includes('/') ? lower : `application/${lower}`;
  if (!NESTED_JWT_TYPES.has(mediaType)) {
    throw invalidToken(INVALID, `the JWE cty is ${quote(cty)}; a nested signed JWT has cty JWT, at+jwt or application/at+jwt`);
  }
}

/**
 * Keys that may open this token. A `kid` that names a configured key picks it alone. A JWE
 * without `kid` may be for any key: all are candidates, in order. A `kid` that names none can
 * only be the issuer's name for a key configured here without one, so those are the candidates,
 * and with none the token is refused now. A key restricted to another `alg`, or whose modulus
 * cannot have produced an encrypted key of this length, is never tried.
 */
function candidates({ header, encryptedKeyBytes }: Inspected, keys: readonly DecryptionKey[]): DecryptionKey[] {
  const { kid, alg } = header;
  const named = kid === undefined ? [] : keys.filter((key) => key.kid === kid);
  const pool = named.length > 0 ? named : kid === undefined ? keys : keys.filter((key) => key.kid === undefined);
  if (pool.length === 0) {
    throw invalidToken(INVALID, `the JWE names kid ${quote(kid)} and no decryption key has it (configured: ${keys.map((key) => key.label).join(', ')})`);
  }
  const usable = pool.filter((key) => (key.alg === undefined || key.alg === alg) && key.modulusBytes === encryptedKeyBytes);
  if (usable.length === 0) {
    throw invalidToken(
      INVALID,
      `no decryption key fits the JWE (alg ${alg}, ${encryptedKeyBytes}-byte encrypted key; keys: ${pool.map((key) => `${key.label} ${key.modulusBytes * 8}-bit${key.alg ? ` ${key.alg}` : ''}`).join(', ')})`,
    );
  }
  return usable;
}

async function decrypt(token: string, header: JweHeader, keys: readonly DecryptionKey[]): Promise<string> {
  const options = { keyManagementAlgorithms: [header.alg], contentEncryptionAlgorithms: [header.enc], maxDecompressedLength: 0 };
  for (const key of keys) {
    let cryptoKey;
    try {
      cryptoKey = await key.forAlgorithm(header.alg);
    } catch (error) {
      throw invalidToken(INVALID, `decryption key ${key.label} cannot be used for ${header.alg}: ${(error as Error).message}`, { cause: error });
    }
    let plaintext: Uint8Array | undefined;
    try {
      ({ plaintext } = await compactDecrypt(token, cryptoKey, options as Parameters<typeof compactDecrypt>[2]));
    } catch (error) {
      // jose answers a wrong key exactly as it answers tampering (a random CEK, then a failed
      // tag check: RFC 7516 §11.5), so there is no oracle here to leak, only the next key to try.
      // Told by jose's documented error `code` rather than its class: importing the `errors`
      // namespace would keep every jose error class in a bundle that never decrypts.
      if ((error as { code?: unknown } | null)?.code !== JWE_DECRYPTION_FAILED) {
        throw invalidToken(MALFORMED, `the JWE could not be decrypted: ${(error as Error).message}`, { cause: error });
      }
    }
    if (plaintext) return innerJws(plaintext);
  }
  throw invalidToken(
    INVALID,
    `the JWE does not decrypt with ${keys.length === 1 ? `decryption key ${keys[0]?.label}` : `any of decryption keys ${keys.map((key) => key.label).join(', ')}`}: encrypted to another key, or altered`,
  );
}

/** The payload must be a compact JWS, signed: nothing else is handed on. */
function innerJws(plaintext: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw invalidToken(MALFORMED, 'the decrypted payload is not UTF-8 text');
  }
  const parts = text.split('.', 6);
  if (parts.length === 5 && parts.every((part) => part === '' || SEGMENT.test(part))) {
    throw invalidToken(INVALID, 'the decrypted payload is itself a JWE; one layer of encryption is accepted, not more');
  }
  if (parts.length !== 3 || !SEGMENT.test(parts[0] as string) || !SEGMENT.test(parts[1] as string)) {
    throw invalidToken(MALFORMED, 'the decrypted payload is not a compact JWS (three dot-separated parts)');
  }
  if (parts[2] === '') throw invalidToken(INVALID, 'the decrypted payload is an unsigned JWT (empty signature, alg "none")');
  return text;
}

/** Length of unpadded base64url for `bytes` bytes. */
function encodedLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** Bytes encoded by unpadded base64url of this length (the alphabet is already checked). */
function decodedLength(segment: string): number {
  return Math.floor((segment.length * 3) / 4);
}
