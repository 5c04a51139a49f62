/**
 * The SHA-256 thumbprint of a key, as the issuer displays it, so an operator can tell which key
 * an API holds and which one the issuer encrypts to.
 *
 * What Auth0's `thumbprint_sha256` is: the RFC 7638 JWK thumbprint of the uploaded public key,
 * SHA-256, base64url without padding. Source: Auth0's "Configure JSON Web Encryption (JWE)"
 * page (https://auth0.com/docs/get-started/apis/configure-json-web-encryption, in the
 * auth0/docs-v2 repository at main/docs/get-started/apis/configure-json-web-encryption.mdx),
 * which gives, as the way "to ensure that you generated the correct thumbprint_sha256", Node
 * code that loads the PEM with `crypto.createPublicKey`, converts it with jose's `exportJWK` and
 * prints `calculateJwkThumbprint(jwk, 'sha256')`. The same page links RFC 8705, whose
 * `x5t#S256` hashes a certificate's DER, and the dashboard calls it "a thumbprint of the
 * certificate"; the code is the precise statement, and it hashes the key, not the certificate.
 * So the value is the same whether a certificate or a bare public key was uploaded, and the same
 * computed from the private key, which is what this helper lets an API check against.
 */
import { base64url, calculateJwkThumbprint, exportJWK, importX509 } from 'jose';
import type { KeyObjectLike } from './decryption-keys.js';
import { readPem, readRsaKey, toPem } from './rsa-pem.js';
import type { JWK } from '../types.js';

/** A PEM (private or public key, or certificate), a Node KeyObject, or a JWK (public or private). */
export type ThumbprintInput = string | KeyObjectLike | JWK;

/**
 * The base64url SHA-256 JWK thumbprint (RFC 7638) of the key's public part: Auth0's
 * `thumbprint_sha256` for an API's encryption key. PEM input must be RSA; JWKs and KeyObjects
 * may be of any asymmetric type.
 */
export async function keyThumbprint(key: ThumbprintInput): Promise<string> {
  return calculateJwkThumbprint(await publicJwk(key), 'sha256');
}

async function publicJwk(key: ThumbprintInput): Promise<JWK> {
  if (typeof key === 'string') {
    const block = readPem(key);
    if (block.label === 'CERTIFICATE') {
      // Any RSA algorithm serves: only the modulus and exponent reach the thumbprint.
      return exportJWK(await importX509(toPem('CERTIFICATE', block.der), 'RSA-OAEP-256', { extractable: true }));
    }
    const { n, e } = readRsaKey(block);
    return { kty: 'RSA', n: base64url.encode(n), e: base64url.encode(e) };
  }
  if (typeof key === 'object' && key !== null && typeof (key as KeyObjectLike).export === 'function') {
    const keyObject = key as KeyObjectLike;
    if (keyObject.type === 'secret') throw new TypeError('a secret key has no public thumbprint to compare with an issuer');
    return keyObject.export({ format: 'jwk' });
  }
  if (typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string') {
    if ((key as JWK).kty === 'oct') throw new TypeError('a symmetric JWK has no public thumbprint to compare with an issuer');
    return key as JWK;
  }
  throw new TypeError('keyThumbprint takes a PEM string, a KeyObject or a JWK');
}
