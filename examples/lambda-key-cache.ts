/**
 * An API Gateway Lambda authorizer warm from its first invocation. Two things keep a cold start
 * from waiting on the issuer:
 *   - the verifier starts from a key-cache snapshot in storage every execution environment shares
 *     (here a file on an EFS mount, KEY_CACHE_FILE; S3, DynamoDB or SSM work the same way), and an
 *     environment that fetched a newer key set writes it back;
 *   - `verifier.ready()` runs during the init phase, before the first invocation: it fetches
 *     whatever the snapshot does not cover (nothing while the snapshot is fresh).
 * A snapshot older than the key set's max age still serves as the stale copy while the issuer is
 * unreachable (up to `jwks.maxStale`); the verifier refreshes it as usual.
 *
 *   KEY_CACHE_FILE=/mnt/keys/key-cache.json ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://api.example.com
 *
 * In your function, import from 'access-token-guard' and 'access-token-guard/lambda'.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createAuthorizer, type AuthorizerEvent } from '../adapters/lambda.js';
import { createVerifier, type KeyCacheSnapshot, type Verifier, type VerifierOptions } from '../src/index.js';

const file = process.env.KEY_CACHE_FILE ?? '/mnt/keys/key-cache.json';
const options: VerifierOptions = {
  issuer: process.env.ISSUER ?? 'https://YOUR_DOMAIN/', // your Auth0 domain, with the trailing slash
  audience: process.env.AUDIENCE ?? 'https://api.example.com', // your API's Identifier, exactly
};

function loadSnapshot(): KeyCacheSnapshot | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as KeyCacheSnapshot;
  } catch {
    return undefined; // none yet (the first environment ever), or unreadable: start without
  }
}

function startVerifier(seed: KeyCacheSnapshot | undefined): Verifier {
  try {
    return createVerifier({ ...options, jwks: seed ? { seed } : {} });
  } catch (error) {
    // A snapshot that no longer fits the configuration is a TypeError: start without it.
    if (!(error instanceof TypeError) || seed === undefined) throw error;
    return createVerifier(options);
  }
}

const seed = loadSnapshot();
let storedFetchedAt = seed?.jwks.fetchedAt;
export const verifier = startVerifier(seed);

// Init phase (module scope, before the first invocation): fetch ahead what the snapshot lacks.
await verifier.ready().catch((error: { reason?: string }) => console.warn(`keys not ready at init: ${error.reason ?? String(error)}`));

/** Writes the key cache back when this environment holds a newer set than the file. */
function saveSnapshot(): void {
  const snapshot = verifier.exportKeys();
  if (snapshot === undefined || snapshot.jwks.fetchedAt === storedFetchedAt) return;
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp`, file); // readers see the old file or the new one, never half of it
    storedFetchedAt = snapshot.jwks.fetchedAt;
  } catch (error) {
    console.warn(`key cache not saved: ${String(error)}`);
  }
}

const authorize = createAuthorizer(verifier, { scopes: 'read:messages', simpleResponses: true, onRefusal: (error) => console.warn(`refused: ${error.reason}`) });

export async function handler(event: AuthorizerEvent) {
  try {
    return await authorize(event);
  } finally {
    saveSnapshot();
  }
}
