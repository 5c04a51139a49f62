/**
 * Reason codes: a stable, machine-readable name for why a request was refused (or could not be
 * verified), beside the human `reason`. Count them, alert on them, branch on them; the wording of
 * `reason` may improve between versions, a code does not change.
 *
 * This table is the one source: the README's reason-code table is generated from it
 * (`npm run docs:reason-codes`), and a test fails when the two disagree. The `hint` is what to
 * look at first; the error's `reason` adds the token's own values.
 */

export interface ReasonCodeInfo {
  /** The HTTP status a request refused for this reason gets. */
  status: number;
  /** What happened, in one sentence. */
  meaning: string;
  /** What to check or change first. */
  hint: string;
}

export const REASON_CODES = {
  // The request
  missing_credentials: { status: 401, meaning: 'The request carries no access token.', hint: 'Send `Authorization: Bearer <access token>`.' },
  missing_bearer_prefix: {
    status: 401,
    meaning: 'The Authorization header holds a bare token, without the `Bearer ` scheme.',
    hint: 'Send `Authorization: Bearer <token>`: the scheme name, a space, then the token.',
  },
  token_in_other_header: {
    status: 401,
    meaning: 'There is no Authorization header, but a token-like value in another header (such as `x-access-token` or `token`).',
    hint: 'Send it as `Authorization: Bearer <token>`, or set `tokenHeader` to that header name if the client cannot change.',
  },
  multiple_authorization_headers: { status: 400, meaning: 'The request has more than one Authorization header.', hint: 'Send exactly one.' },
  malformed_authorization: {
    status: 400,
    meaning: 'The Authorization header names a scheme this API accepts but its credential is not one token.',
    hint: 'The value must be `Bearer <token>` with a single token68 credential (no quotes, no commas, no second token).',
  },
  multiple_tokens: {
    status: 400,
    meaning: 'The request carries an access token in more than one place (header, query, body, cookie).',
    hint: 'Send the token in one place only (RFC 6750 §2).',
  },
  malformed_request: { status: 400, meaning: 'The request is malformed (for example a non-string `access_token` form field).', hint: 'See the reason.' },
  token_too_long: { status: 401, meaning: 'The token is longer than `maxTokenLength`.', hint: 'Raise `maxTokenLength` only if your issuer really mints tokens this large.' },
  multiple_dpop_headers: { status: 401, meaning: 'The request has more than one DPoP header.', hint: 'Send exactly one DPoP proof.' },

  // The token's form
  malformed_token: {
    status: 401,
    meaning: 'The token is not a well-formed JWT: wrong number of parts, bad base64url, or a header or payload that is not a JSON object.',
    hint: 'Check that the client sends the access token itself, whole, and not an ID token, a code or a refresh token.',
  },
  opaque_token: {
    status: 401,
    meaning: 'The token is opaque (not a JWT), so it cannot be verified locally.',
    hint: 'On Auth0, a client that requests no `audience` gets an opaque token for /userinfo: request the API identifier as `audience` when getting the token.',
  },
  no_audience_requested: {
    status: 401,
    meaning: 'The token is a JWE encrypted with `alg: dir`: on Auth0, a token issued to Auth0 itself because the client requested no audience.',
    hint: 'Request the API identifier as `audience` when getting the token.',
  },
  crit_unsupported: { status: 401, meaning: 'The header marks an extension critical (`crit`) that this library does not implement.', hint: 'The issuer uses a JWS extension; such tokens are refused.' },

  // Encryption
  encryption_required: { status: 401, meaning: '`requireEncryption` is set and the token is not encrypted.', hint: 'Turn on token encryption for the API at the issuer, or unset `requireEncryption`.' },
  decryption_keys_missing: { status: 401, meaning: 'The token is encrypted (JWE) and no `decryptionKeys` are configured.', hint: 'Set `decryptionKeys` to the private key whose public half the issuer encrypts to.' },
  jwe_invalid: {
    status: 401,
    meaning: 'The encrypted token is refused: an algorithm outside the allow-lists, a malformed part, no key for it, or it does not decrypt.',
    hint: 'Compare the JWE `alg`, `enc` and `kid` with `keyManagementAlgorithms`, `contentEncryptionAlgorithms` and the `decryptionKeys` (their thumbprints: `access-token-guard thumbprint`).',
  },

  // The signature and its key
  alg_not_allowed: { status: 401, meaning: "The token's `alg` is not in `algorithms`.", hint: "Add the issuer's signing algorithm to `algorithms` (Auth0 signs with RS256 unless the API is set to HS256)." },
  unknown_kid: {
    status: 401,
    meaning: "No key in the issuer's key set has the token's `kid`.",
    hint: 'The token was signed by another issuer or tenant (compare its `iss` with `issuer`), or by a key the issuer has withdrawn.',
  },
  ambiguous_key: { status: 401, meaning: 'Several keys could verify the token and none is named precisely enough to choose.', hint: 'The issuer should put a `kid` in the token and in each key.' },
  key_alg_mismatch: { status: 401, meaning: "The key the token names cannot verify the token's `alg`.", hint: "Check the key's `kty`, `crv` and `alg` against the token's `alg`." },
  key_unusable: { status: 401, meaning: 'The chosen key could not be imported.', hint: "Check the key set the issuer publishes (or the configured `keys`)." },
  bad_signature: {
    status: 401,
    meaning: 'The signature does not verify with the key.',
    hint: 'For HS256, the `secret` differs from the one the issuer signs with (on Auth0: the API\'s signing secret, not a client secret). Otherwise the token was altered or signed by another key.',
  },

  // The claims
  claim_type_invalid: { status: 401, meaning: 'A registered claim has the wrong type (for example `exp` not a number).', hint: 'The issuer mints nonstandard tokens; see the reason for the claim.' },
  issuer_mismatch: { status: 401, meaning: "The token's `iss` is not the configured `issuer`.", hint: 'The token comes from another issuer or tenant; `issuer` must be exactly its `iss`.' },
  issuer_trailing_slash: {
    status: 401,
    meaning: 'The configured `issuer` and the issuer\'s own identifier differ only by a trailing slash.',
    hint: 'Set `issuer` exactly as the issuer writes it (Auth0: `https://YOUR_DOMAIN/`, with the slash), or use `domain`.',
  },
  audience_mismatch: { status: 401, meaning: "The token's `aud` does not name this API.", hint: 'The client must request a token with `audience` set to this API\'s identifier.' },
  audience_trailing_slash: {
    status: 401,
    meaning: "The token's `aud` and the configured `audience` differ only by a trailing slash.",
    hint: 'Audiences are compared exactly: use the API identifier exactly as registered, in the client and in `audience`.',
  },
  looks_like_id_token: {
    status: 401,
    meaning: 'The token looks like an ID token (its audience is the client, or it carries sign-in claims).',
    hint: 'Send the access token (requested with this API\'s `audience`), not the ID token.',
  },
  expired: { status: 401, meaning: "The token's `exp` has passed.", hint: "Get a new token; if tokens expire early, check the server's clock (or raise `clockTolerance`)." },
  not_yet_valid: { status: 401, meaning: "The token's `nbf` is in the future.", hint: "Check the server's clock, or raise `clockTolerance`." },
  issued_in_future: { status: 401, meaning: "The token's `iat` is in the future.", hint: "Check the server's clock, or raise `clockTolerance`." },
  missing_exp: { status: 401, meaning: 'The token has no `exp`.', hint: 'Access tokens must expire; tokens without `exp` are refused.' },
  token_too_old: { status: 401, meaning: "The token's `iat` is older than `maxTokenAge`.", hint: 'Get a new token, or raise `maxTokenAge`.' },
  dialect_mismatch: {
    status: 401,
    meaning: 'The token follows another token profile than `dialect` demands (Auth0 profile against RFC 9068, or the reverse).',
    hint: 'Set `dialect` to the profile the API issues (Auth0 API setting "Token Profile"), or to `any`.',
  },
  missing_required_claim: { status: 401, meaning: 'A claim the token profile requires is missing (RFC 9068: `sub`, `client_id`, `jti`…; Auth0: `azp`).', hint: 'See the reason for the claim.' },

  // Sender constraint
  binding_mismatch: { status: 401, meaning: 'The token is bound (mTLS or DPoP) in a way this request or verifier does not satisfy.', hint: 'See the reason; configure `mtls` / `dpop`, or send the token with its scheme and proof.' },
  certificate_mismatch: { status: 401, meaning: "The client certificate is missing or is not the one the token is bound to (`cnf.x5t#S256`).", hint: 'The token must be presented over the mTLS connection (or edge header) with the certificate it was issued for.' },
  dpop_proof_invalid: { status: 401, meaning: 'The DPoP proof is missing, malformed, replayed or does not match the request.', hint: 'See the reason; the proof must be fresh, for this method and URL, and signed by the bound key.' },
  dpop_nonce_required: { status: 401, meaning: 'The DPoP proof must carry the server nonce.', hint: 'Retry with the nonce from the `DPoP-Nonce` response header.' },

  // Guards
  missing_scope: { status: 403, meaning: 'The token lacks a scope the route requires.', hint: 'Request the scope when getting the token (and grant it to the client at the issuer).' },
  missing_permission: { status: 403, meaning: 'The token lacks a permission the route requires.', hint: 'Grant the permission to the user or client at the issuer (Auth0: API → Permissions, and the user\'s roles).' },
  no_permissions_claim: {
    status: 403,
    meaning: 'The route requires permissions and the token has no `permissions` claim at all.',
    hint: 'On Auth0, enable RBAC and "Add Permissions in the Access Token" in the API\'s settings.',
  },
  claim_mismatch: { status: 403, meaning: 'A claim the route requires is missing or does not have the required value.', hint: 'See the reason for the claim and what the route expects.' },
  insufficient_user_authentication: {
    status: 401,
    meaning: 'The user authenticated too weakly (`acr`) or too long ago (`auth_time`) for the route (`requireAuthLevel`, RFC 9470).',
    hint: 'The client should get a new token with the `acr_values` / `max_age` the challenge names.',
  },
  not_authenticated: { status: 401, meaning: 'A guard ran on a request that was not authenticated (anonymous, or no `authenticate` before it).', hint: 'Put `authenticate` before the guard, without `optional` on routes that need a token.' },

  // Ours
  keys_unavailable: {
    status: 503,
    meaning: "The issuer's keys (or its metadata) could not be fetched and none usable are cached.",
    hint: 'Check that the server can reach the JWKS URL (see the reason for the URL and the failure).',
  },
  issuer_misconfigured: {
    status: 500,
    meaning: "Discovery found the issuer's metadata, and its `issuer` differs from the configured one only by a trailing slash.",
    hint: 'Set `issuer` exactly as the metadata writes it (Auth0: `https://YOUR_DOMAIN/`, with the slash), or use `domain`. A configuration error: `ready()` rejects with it.',
  },
  issuer_metadata_invalid: {
    status: 503,
    meaning: "The issuer's discovery metadata is unusable (wrong issuer, no `jwks_uri`, not https).",
    hint: 'Fix the issuer metadata, or set `jwksUri` to the JWKS URL.',
  },
  token_status_unavailable: {
    status: 503,
    meaning: 'The introspection endpoint or the `isRevoked` hook could not say whether the token is active.',
    hint: 'Check the introspection endpoint (and our client credentials at it), or the `isRevoked` function; see the reason.',
  },
  replay_store_unavailable: { status: 503, meaning: 'The DPoP replay store failed.', hint: 'Check the replay store (Redis) connection.' },
  invalid_token: { status: 401, meaning: 'The token is refused for a reason without a more precise code (a custom step).', hint: 'See the reason.' },
} as const satisfies Record<string, ReasonCodeInfo>;

export type ReasonCode = keyof typeof REASON_CODES;

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASON_CODES, value);
}

/** The hint for a code, for logs and the `inspect` command. */
export function reasonHint(code: ReasonCode): string {
  return REASON_CODES[code].hint;
}

/** The README table: one row per code, in the table's order. */
export function reasonCodeTable(): string {
  const rows = Object.entries(REASON_CODES).map(([code, info]) => `| \`${code}\` | ${info.status} | ${escapeCell(info.meaning)} | ${escapeCell(info.hint)} |`);
  return ['| `reasonCode` | Status | Meaning | What to check |', '|---|---|---|---|', ...rows].join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
