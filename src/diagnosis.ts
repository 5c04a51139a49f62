/**
 * Diagnoses that need more of the token than the step that refused it saw. They run only on a
 * refusal, never on an accepted token, and only ever add to the log `reason`: what the client
 * is told, and the reason code, stay those of the step.
 */
import type { CryptoBackend } from './crypto/types.js';
import { AccessTokenError } from './errors.js';
import { quote } from './quote.js';
import type { CompactJws } from './signature.js';

/**
 * A key refusal (unknown `kid`, bad signature) for a token whose unverified `iss` names another
 * issuer says so: the usual cause is a token from another tenant or environment, and "no key
 * with kid …" alone sends people looking at the key set.
 */
export function explainKeyRefusal(error: unknown, jws: CompactJws, issuer: string, backend: CryptoBackend): unknown {
  if (!(error instanceof AccessTokenError) || (error.reasonCode !== 'unknown_kid' && error.reasonCode !== 'bad_signature')) return error;
  const iss = unverifiedIssuer(jws, backend);
  if (iss === undefined || iss === issuer) return error;
  return error.withReason(`${error.reason}; the token's (unverified) iss is ${quote(iss)}, not the configured issuer ${JSON.stringify(issuer)}: it comes from another issuer or tenant`);
}

function unverifiedIssuer(jws: CompactJws, backend: CryptoBackend): unknown {
  try {
    const claims: unknown = JSON.parse(backend.decodeBase64UrlText(jws.payload));
    return typeof claims === 'object' && claims !== null ? (claims as { iss?: unknown }).iss : undefined;
  } catch {
    return undefined;
  }
}
