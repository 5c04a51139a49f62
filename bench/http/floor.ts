/**
 * The hand-rolled synchronous verifier that sets each framework's floor: the least a correct
 * check can do per request — split, decode the header, one `crypto.verify` over a KeyObject made
 * once, decode the claims, iss/aud/exp. No options, no error detail, no key source.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from '../../src/types.js';

export interface FloorConfig {
  issuer: string;
  audience: string;
  /** The RS256 key the tokens are signed with (the floor knows it in advance). */
  jwk: JWK;
}

interface Parsed {
  input: Buffer;
  signature: Buffer;
  claims: { iss?: unknown; aud?: unknown; exp?: unknown; sub?: unknown };
}

/** Everything but the signature: returns undefined for anything malformed or unexpected. */
function parse(authorization: string | undefined, kid: string | undefined): Parsed | undefined {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
  const token = authorization.slice(7);
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 1 || second < 0) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString());
    if (header.alg !== 'RS256' || header.kid !== kid) return undefined;
    const claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString());
    return { input: Buffer.from(token.slice(0, second)), signature: Buffer.from(token.slice(second + 1), 'base64url'), claims };
  } catch {
    return undefined;
  }
}

function claimsOk(claims: Parsed['claims'], config: FloorConfig): boolean {
  const { iss, aud, exp } = claims;
  const audOk = aud === config.audience || (Array.isArray(aud) && aud.includes(config.audience));
  return iss === config.issuer && audOk && typeof exp === 'number' && exp > Date.now() / 1000;
}

export type FloorVerify = (authorization: string | undefined) => Parsed['claims'] | undefined;

/** The floor: answers the claims, or undefined (refuse with 401). */
export function createFloorVerifier(config: FloorConfig): FloorVerify {
  const key: KeyObject = createPublicKey({ key: config.jwk as JsonWebKey, format: 'jwk' });
  return (authorization) => {
    const parsed = parse(authorization, config.jwk.kid);
    if (!parsed || !verify('sha256', parsed.input, key, parsed.signature)) return undefined;
    return claimsOk(parsed.claims, config) ? parsed.claims : undefined;
  };
}

/**
 * The same floor with the callback form of `crypto.verify`, which runs on the libuv threadpool:
 * the evidence for (or against) moving the RSA work off the main thread.
 */
export function createThreadpoolFloorVerifier(config: FloorConfig) {
  const key: KeyObject = createPublicKey({ key: config.jwk as JsonWebKey, format: 'jwk' });
  return (authorization: string | undefined, done: (claims: Parsed['claims'] | undefined) => void): void => {
    const parsed = parse(authorization, config.jwk.kid);
    if (!parsed) return done(undefined);
    verify('sha256', parsed.input, key, parsed.signature, (error, ok) => {
      done(!error && ok && claimsOk(parsed.claims, config) ? parsed.claims : undefined);
    });
  };
}
