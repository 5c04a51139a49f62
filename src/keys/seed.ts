/**
 * A snapshot of a verifier's key cache — the key set and, for a discovering verifier, where
 * discovery found it — as plain JSON, to persist (Workers KV, the Cache API, a file in a Lambda
 * layer, an environment variable) and hand the next instance as `jwks.seed`. A seeded verifier
 * starts as if it had fetched those documents at the recorded times: it answers from them at once
 * while they are fresh, and refreshes them under the usual rules afterwards (max age, stale-if-
 * error up to `maxStale` after the recorded fetch, an unknown `kid` may fetch at once).
 */
import type { JWK } from '../types.js';
import { parseJwks } from './remote-jwks.js';

/** One fetched document in a snapshot: when it was fetched and how long it is fresh. */
export interface SnapshotTimes {
  /** When it was fetched, ms since the epoch. */
  fetchedAt: number;
  /** Seconds it is fresh from `fetchedAt` (the response's max-age, clamped, or `cacheMaxAge`). */
  maxAge: number;
}

export interface KeyCacheSnapshot {
  /** Format version of this object. */
  version: 1;
  /** The verifier's `issuer`: a snapshot seeds only a verifier for the same issuer. */
  issuer: string;
  /** Present when the verifier discovers its JWKS URL: where discovery found it. */
  metadata?: SnapshotTimes & { jwksUri: string; metadataUri: string };
  jwks: SnapshotTimes & { uri: string; keys: JWK[] };
}

/** A seed's documents, checked. */
export interface CheckedSeed {
  metadata: (SnapshotTimes & { jwksUri: string; metadataUri: string }) | undefined;
  jwks: SnapshotTimes & { uri: string; keys: JWK[] };
}

const bad = (detail: string) => new TypeError(`jwks.seed ${detail}: pass what verifier.exportKeys() returned, unchanged`);

function checkTimes(value: unknown, where: string): SnapshotTimes {
  const { fetchedAt, maxAge } = (value ?? {}) as Partial<SnapshotTimes>;
  if (typeof fetchedAt !== 'number' || !Number.isFinite(fetchedAt) || fetchedAt < 0) throw bad(`${where}.fetchedAt is not a time in ms`);
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge <= 0) throw bad(`${where}.maxAge is not a positive number of seconds`);
  return { fetchedAt, maxAge };
}

/** Checks a seed against the verifier it is given to; a TypeError at creation when it does not fit. */
export function checkSeed(seed: unknown, issuer: string, jwksUri: string | undefined): CheckedSeed {
  if (typeof seed !== 'object' || seed === null) throw bad('is not an object');
  const snapshot = seed as Partial<KeyCacheSnapshot>;
  if (snapshot.version !== 1) throw bad(`has version ${JSON.stringify(snapshot.version)}, expected 1`);
  if (snapshot.issuer !== issuer) throw bad(`is for issuer ${JSON.stringify(snapshot.issuer)}, this verifier's is ${JSON.stringify(issuer)}`);
  const jwks = snapshot.jwks as KeyCacheSnapshot['jwks'] | undefined;
  const keys = parseJwks(jwks);
  if (jwks === undefined || typeof jwks.uri !== 'string' || keys === undefined) throw bad('has no jwks { uri, keys }');
  let metadata: CheckedSeed['metadata'];
  if (jwksUri !== undefined) {
    if (jwks.uri !== jwksUri) throw bad(`holds the keys of ${JSON.stringify(jwks.uri)}, this verifier's jwksUri is ${JSON.stringify(jwksUri)}`);
  } else {
    const found = snapshot.metadata;
    if (found === undefined || typeof found.jwksUri !== 'string' || typeof found.metadataUri !== 'string') {
      throw bad('has no metadata { jwksUri, metadataUri }, which a verifier that discovers its JWKS URL needs');
    }
    if (found.jwksUri !== jwks.uri) throw bad(`names jwks_uri ${JSON.stringify(found.jwksUri)} but holds the keys of ${JSON.stringify(jwks.uri)}`);
    metadata = { jwksUri: found.jwksUri, metadataUri: found.metadataUri, ...checkTimes(found, 'metadata') };
  }
  return { metadata, jwks: { uri: jwks.uri, keys, ...checkTimes(jwks, 'jwks') } };
}
