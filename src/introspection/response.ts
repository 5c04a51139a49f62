/**
 * Reading an introspection answer (RFC 7662 §2.2) and holding an active one to the rules a JWT
 * meets: exact `iss` and `aud`, claim types, `token_type` when present, the dialect's claim rules
 * (there is no JOSE header: an answer stands for an `at+jwt` under `rfc9068`), scopes from `scope`.
 * The time checks (`exp` required, `nbf`) and the sender constraint (`cnf`) are the verifier's own
 * steps, run on every request, cached answers included.
 */
import { parseClaims } from '../claims.js';
import { quote } from '../quote.js';
import { invalidToken } from '../errors.js';
import type { IssuerPipeline } from '../issuers.js';
import type { VerifiedToken } from '../result-cache.js';
import type { Dialect, JWTClaims, JWTHeader } from '../types.js';

/** An introspected token has no JOSE header: `AuthResult.header` is this empty object. */
export const NO_HEADER = Object.freeze({}) as JWTHeader;

/** RFC 9701 §5: the media type, and the `typ` of a signed answer. */
export const SIGNED_RESPONSE_TYPE = 'application/token-introspection+jwt';

/** Why an answer cannot be used: the endpoint's fault, so our 503, never the caller's 401. */
export class MalformedAnswer extends Error {}

/** The answer's JSON, checked for the one member RFC 7662 requires: a boolean `active`. */
export function readAnswer(json: unknown): JWTClaims & { active: boolean } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new MalformedAnswer('the answer is not a JSON object');
  const { active } = json as { active?: unknown };
  if (typeof active !== 'boolean') throw new MalformedAnswer('the answer has no boolean "active"');
  return json as JWTClaims & { active: boolean };
}

/**
 * The answer inside a signed response (RFC 9701 §5), once its signature verified with the
 * issuer's keys: `typ` must say what it is (so no other JWT of the issuer, an access token say,
 * can stand in for one), `iss` must be the issuer and `aud` this API's client id.
 */
export function readSignedAnswer(header: JWTHeader, payload: string, issuer: string, clientId: string): JWTClaims & { active: boolean } {
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ !== 'token-introspection+jwt' && typ !== SIGNED_RESPONSE_TYPE) {
    throw new MalformedAnswer(`the signed answer's typ is ${quote(header.typ)}, not "token-introspection+jwt"`);
  }
  let claims: JWTClaims;
  try {
    claims = parseClaims(payload);
  } catch {
    throw new MalformedAnswer('the signed answer\'s payload is not a JSON object');
  }
  if (claims.iss !== issuer) throw new MalformedAnswer(`the signed answer's iss is ${quote(claims.iss)}, expected ${JSON.stringify(issuer)}`);
  const aud = claims.aud;
  if (!(aud === clientId || (Array.isArray(aud) && aud.includes(clientId)))) {
    throw new MalformedAnswer(`the signed answer's aud is ${quote(Array.isArray(aud) ? aud.join(", ") : aud)}, expected the client id ${JSON.stringify(clientId)}`);
  }
  return readAnswer(claims.token_introspection);
}

export const NOT_ACTIVE = 'The access token is not active.';

/** The refusal for `active: false`: RFC 7662 §2.2 lets the endpoint keep why to itself. */
export function inactive(): Error {
  return invalidToken(NOT_ACTIVE, 'the introspection endpoint says the token is not active (expired, revoked, or never issued)');
}

/**
 * An active answer as the pipeline's `VerifiedToken`, or the refusal. `token` is the token as
 * presented; `claims` the whole answer, `active` included.
 */
export function evaluateAnswer(token: string, answer: JWTClaims & { active: boolean }, issuer: IssuerPipeline, dialect: Dialect | undefined): VerifiedToken {
  if (!answer.active) throw inactive();
  checkTokenType(answer);
  // The issuer's own claim checks (types, iss, aud, client id, dialect), as for its JWTs.
  const verified = issuer.checkVouched(token, dialect === 'rfc9068' ? RFC9068_STAND_IN : NO_HEADER, answer);
  return { ...verified, header: NO_HEADER };
}

const RFC9068_STAND_IN = Object.freeze({ alg: 'none', typ: 'at+jwt' }) as JWTHeader;

/**
 * RFC 7662 §2.2 `token_type`: when the endpoint says, it must be an access-token type (RFC 6750
 * Bearer or RFC 9449 DPoP; a refresh token is not accepted in a request), and a DPoP token
 * must be bound to a key (`cnf.jkt`), which the binding step then enforces.
 */
function checkTokenType(answer: JWTClaims): void {
  const type = answer.token_type;
  if (type === undefined) return;
  const lower = typeof type === 'string' ? type.toLowerCase() : undefined;
  if (lower !== 'bearer' && lower !== 'dpop') {
    throw invalidToken('The access token is invalid.', `the introspection endpoint says token_type is ${quote(type)}, not an access token type (Bearer or DPoP)`);
  }
  if (lower === 'dpop' && answer.cnf?.jkt === undefined) {
    throw invalidToken('The access token is invalid.', 'the introspection endpoint says token_type is "DPoP" but gives no cnf.jkt to bind it to');
  }
}
