/**
 * DPoP proofs as a client (or an attacker) builds them. `proof()` makes a valid one with jose and
 * lets a test change any header member or claim, or sign with another key, so each §4.3 check
 * can be failed on its own. The interop tests use the `dpop` package instead.
 */
import { KeyObject, constants, createHash, createHmac, randomUUID, sign } from 'node:crypto';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface ProofKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint, what a token's `cnf.jkt` holds. */
  jkt: string;
}

export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export const ath = (token: string) => createHash('sha256').update(token, 'ascii').digest('base64url');

export interface ProofInit {
  method?: string;
  url: string;
  /** The access token the proof goes with (for `ath`). */
  token: string;
  /** Header members to set (undefined removes one). */
  header?: Record<string, unknown>;
  /** Claims to set (undefined removes one). */
  claims?: Record<string, unknown>;
  /** Sign with this key instead of the one in the header's jwk. */
  signWith?: CryptoKey | Uint8Array;
}

export async function proof(key: ProofKey, init: ProofInit): Promise<string> {
  const header = defined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...init.header });
  const claims = defined({
    jti: randomUUID(),
    htm: init.method ?? 'GET',
    htu: init.url,
    iat: Math.floor(Date.now() / 1000),
    ath: ath(init.token),
    ...init.claims,
  });
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
  return `${input}.${base64url.encode(signAs(String(header.alg), input, init.signWith ?? key.privateKey))}`;
}

/**
 * Signs as the header's `alg` says, with whatever key is given: node:crypto signs anything, so
 * a test can put any header (crit, a mismatched jwk…) over a real signature.
 */
function signAs(alg: string, input: string, key: CryptoKey | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) return createHmac(`sha${alg.slice(2)}`, key).update(input).digest();
  const keyObject = KeyObject.from(key);
  const data = Buffer.from(input);
  if (alg === 'EdDSA' || alg === 'Ed25519') return sign(null, data, keyObject);
  const digest = `sha${alg.slice(2)}`;
  if (alg.startsWith('ES')) return sign(digest, data, { key: keyObject, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('PS')) return sign(digest, data, { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  return sign(digest, data, keyObject);
}

/** An unsigned JWS (`alg: none`), which jose will not produce. */
export function unsignedProof(key: ProofKey, init: ProofInit): string {
  const header = { typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk };
  const claims = { jti: randomUUID(), htm: init.method ?? 'GET', htu: init.url, iat: Math.floor(Date.now() / 1000), ath: ath(init.token) };
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(claims)}.`;
}

function defined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}
