/**
 * DPoP-bound access tokens (RFC 9449). The proof is checked as §4.3 lists, then the token's
 * `cnf.jkt` must be the RFC 7638 thumbprint of the proof's key (§6.1), and only then is the proof's
 * `jti` recorded, so that a proof refused for any reason never occupies the replay store.
 */
import { base64url, calculateJwkThumbprint } from 'jose';
import { isBase64Url } from '../crypto/base64url.js';
import { SIGNING_ALGORITHMS, isSigningAlgorithm, type CryptoBackend } from '../crypto/types.js';
import { AccessTokenError, GuardError, invalidToken as refusal, type AccessTokenErrorInit } from '../errors.js';
import { quote } from '../quote.js';
import type { DpopOptions } from '../options.js';
import type { JWK } from '../types.js';
import { DEFAULT_DPOP_ALGORITHMS } from './dpop-algorithms.js';
import { createNonceSource, isNonceSyntax, type DpopNonceSource } from './dpop-nonce.js';
import { normalizeHttpUri } from './http-uri.js';
import { MemoryReplayStore, ReplayStoreUnavailableError, type ProofIdentity, type ReplayStore } from './replay-store.js';

/** Every token refusal of this step is `binding_mismatch` unless it says otherwise. */
const invalidToken = (description: string, reason: string, init?: AccessTokenErrorInit) => refusal(description, reason, { reasonCode: 'binding_mismatch', ...init });

export type { DpopOptions } from '../options.js';

export { DEFAULT_DPOP_ALGORITHMS };

export interface DpopConfig {
  required: boolean;
  algorithms: ReadonlySet<string>;
  iatWindow: number;
  nonce: DpopNonceSource | undefined;
  replayStore: ReplayStore;
}

/** What the DPoP check needs to know about the request. */
export interface DpopRequest {
  proof: string | undefined;
  method: string | undefined;
  url: string | undefined;
  /** The access token exactly as presented, for `ath`. */
  token: string;
}

/** A proof that passed every check of its own (not yet the binding nor the replay check). */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof's key. */
  thumbprint: string;
  jti: string;
  iat: number;
}

// A proof carries one public key and a few claims; an RSA-4096 one is about 1.5 KB.
const MAX_PROOF_LENGTH = 8192;
// Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export function validateDpopOptions(options: DpopOptions | undefined, backend: CryptoBackend): DpopConfig | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw new TypeError('`dpop` must be an object');
  const { required = false, algorithms = DEFAULT_DPOP_ALGORITHMS, iatWindow = 60, nonce, replayStore } = options;
  if (typeof required !== 'boolean') throw new TypeError('`dpop.required` must be a boolean');
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError('`dpop.algorithms` must be a non-empty array');
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !isSigningAlgorithm(alg) || SIGNING_ALGORITHMS[alg].kty === 'oct') {
      throw new TypeError(`\`dpop.algorithms\`: ${JSON.stringify(alg)} is not an asymmetric JWS algorithm this library supports (RFC 9449 §4.2 forbids MAC and none)`);
    }
  }
  if (!(Number.isFinite(iatWindow) && iatWindow > 0)) throw new TypeError('`dpop.iatWindow` must be a number of seconds > 0');
  if (replayStore !== undefined && (replayStore === null || typeof replayStore.markUsed !== 'function')) {
    throw new TypeError('`dpop.replayStore` must have a markUsed(id, expiresAt) method');
  }
  return {
    required,
    algorithms: new Set(algorithms),
    iatWindow,
    nonce: nonce === undefined ? undefined : createNonceSource(nonce, backend),
    replayStore: replayStore ?? new MemoryReplayStore(),
  };
}

/**
 * The whole DPoP check for a request that used the DPoP scheme: a valid proof (else
 * `invalid_dpop_proof` or `use_dpop_nonce`), by the key the token is bound to (else
 * `invalid_token`), never seen before (else `invalid_dpop_proof`).
 */
export async function checkDpopBinding(expectedJkt: string | undefined, request: DpopRequest, config: DpopConfig, backend: CryptoBackend): Promise<void> {
  const proof = await checkProof(request, config, backend);
  if (expectedJkt === undefined) {
    throw invalidToken('The access token is not DPoP-bound; send it with the Bearer scheme.', 'the DPoP scheme was used with a token that has no cnf.jkt', { scheme: 'DPoP' });
  }
  if (!backend.timingSafeEqual(backend.utf8Bytes(proof.thumbprint), backend.utf8Bytes(expectedJkt))) {
    throw invalidToken('The access token is not bound to the DPoP proof key.', `the proof key's thumbprint ${proof.thumbprint} is not the token's cnf.jkt ${expectedJkt}`, { scheme: 'DPoP' });
  }
  const jtiHash = await backend.sha256(new TextEncoder().encode(proof.jti));
  // The entry's lifetime is the server's to set: a proof passes the iat check while its iat is
  // within the window of now, and an accepted iat is at most one window ahead, so two windows
  // from arrival outlast every proof. A client-chosen iat never decides how long anything lives.
  const expiresAt = Date.now() + 2 * config.iatWindow * 1000;
  const id = `${proof.thumbprint}.${base64url.encode(jtiHash)}`;
  const fresh = await markUsed(config.replayStore, id, expiresAt, { keyThumbprint: proof.thumbprint, iat: proof.iat });
  if (!fresh) throw badProof(`the proof's jti was already used (replay)`);
}

/** A store that fails is our failure (503), whatever store it is; never a pass. */
async function markUsed(store: ReplayStore, id: string, expiresAt: number, proof: ProofIdentity): Promise<boolean> {
  try {
    return (await store.markUsed(id, expiresAt, proof)) === true;
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw new ReplayStoreUnavailableError(`the DPoP replay store failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** RFC 9449 §4.3, steps 1–12, except the key binding. */
export async function checkProof(request: DpopRequest, config: DpopConfig, backend: CryptoBackend): Promise<CheckedProof> {
  const { proof } = request;
  if (proof === undefined || proof === '') throw badProof('the DPoP scheme was used without a DPoP header');
  if (proof.length > MAX_PROOF_LENGTH) throw badProof(`the proof is ${proof.length} characters, over ${MAX_PROOF_LENGTH}`);

  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every(isBase64Url)) throw badProof('the proof is not a compact JWS (three canonical base64url parts)');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart, 'header', backend);
  const payload = decodeJson(payloadPart, 'payload', backend);

  // Header: what kind of JWT, signed how, with which key (§4.2).
  if (!isDpopType(header.typ)) throw badProof(`the proof's typ is ${quote(header.typ)}, not "dpop+jwt"`);
  const { alg } = header;
  if (typeof alg !== 'string' || !config.algorithms.has(alg)) {
    throw badProof(`the proof's alg ${quote(alg)} is not in [${[...config.algorithms].join(', ')}]`);
  }
  if (header.crit !== undefined) throw badProof('the proof marks header parameters critical, and no such extension is supported');
  const jwk = header.jwk;
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw badProof('the proof header has no jwk object');
  const privateMember = PRIVATE_MEMBERS.find((name) => name in jwk);
  if (privateMember !== undefined) throw badProof(`the proof's jwk has the private member ${quote(privateMember)}`);

  let key;
  try {
    key = await backend.importKey(jwk as JWK, alg);
  } catch (error) {
    throw badProof(`the proof's jwk cannot verify ${quote(alg)}: ${(error as Error).message}`);
  }
  const valid = await backend.verify(key, `${headerPart}.${payloadPart}`, signaturePart);
  if (!valid) throw badProof('the proof signature does not verify with its jwk');

  // Claims (§4.2, §4.3 steps 7–12).
  const { jti, htm, htu, iat, exp, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '') throw badProof('the proof has no jti');
  if (typeof htm !== 'string') throw badProof('the proof has no htm');
  if (typeof htu !== 'string') throw badProof('the proof has no htu');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw badProof('the proof has no numeric iat');
  if (typeof ath !== 'string') throw badProof('the proof has no ath (it must hash the access token)');
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) throw badProof('the proof has a non-numeric exp');

  if (request.method === undefined) throw badProof('the request method was not given to the verifier, so htm cannot be checked');
  if (htm !== request.method) throw badProof(`the proof's htm ${quote(htm)} is not the request method ${quote(request.method)}`);
  checkHtu(htu, request.url);

  const now = Date.now() / 1000;
  if (Math.abs(now - iat) > config.iatWindow) {
    throw badProof(`the proof's iat ${iat} is more than ${config.iatWindow} s from now (${Math.floor(now)})`);
  }
  // RFC 9449 does not require exp, but a proof that sets it has said when it stops counting (RFC 7519 §4.1.4).
  if (exp !== undefined && now >= exp) throw badProof(`the proof's exp ${exp} is ${Math.round(now - exp)} s in the past`);

  const expectedAth = base64url.encode(await backend.sha256(backend.utf8Bytes(request.token)));
  if (!backend.timingSafeEqual(backend.utf8Bytes(ath), backend.utf8Bytes(expectedAth))) {
    throw badProof("the proof's ath is not the hash of the access token it came with");
  }

  if (config.nonce !== undefined) await checkNonce(nonce, config.nonce);

  return { thumbprint: await calculateJwkThumbprint(jwk as JWK, 'sha256'), jti, iat };
}

async function checkNonce(nonce: unknown, source: DpopNonceSource): Promise<void> {
  if (nonce === undefined) throw await useNonce(source, 'the proof has no nonce and this API requires one');
  if (!isNonceSyntax(nonce)) throw badProof('the proof nonce is not a nonce string');
  if (!(await source.isValid(nonce))) throw await useNonce(source, 'the proof nonce is not (or no longer) valid');
}

async function useNonce(source: DpopNonceSource, reason: string): Promise<AccessTokenError> {
  return new AccessTokenError('use_dpop_nonce', 'The resource server requires a nonce in the DPoP proof.', reason, {
    scheme: 'DPoP',
    dpopNonce: await source.current(),
  });
}

function checkHtu(htu: string, requestUrl: string | undefined): void {
  if (requestUrl === undefined) throw badProof('the request URL was not given to the verifier, so htu cannot be checked');
  const expected = normalizeHttpUri(requestUrl);
  if (expected === undefined) throw badProof(`the request URL ${quote(requestUrl)} is not absolute; the adapter must give scheme and host`);
  const actual = normalizeHttpUri(htu);
  if (actual === undefined) throw badProof(`the proof's htu ${quote(htu)} is not an absolute http(s) URI`);
  if (actual !== expected) throw badProof(`the proof's htu ${quote(actual)} is not the request URI ${quote(expected)}`);
}

/** `dpop+jwt`, compared as a media type: case-insensitive, `application/` optional (RFC 7515 §4.1.9). */
function isDpopType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const type = typ.toLowerCase();
  return type === 'dpop+jwt' || type === 'application/dpop+jwt';
}

function decodeJson(segment: string, part: string, backend: CryptoBackend): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(backend.decodeBase64UrlText(segment));
  } catch {
    throw badProof(`the proof ${part} is not base64url-encoded JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badProof(`the proof ${part} is not a JSON object`);
  return value as Record<string, unknown>;
}

export function badProof(reason: string): AccessTokenError {
  return new AccessTokenError('invalid_dpop_proof', 'The DPoP proof is invalid.', reason, { scheme: 'DPoP' });
}
