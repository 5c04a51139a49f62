/**
 * The DPoP proof algorithms accepted by default. Its own module: the challenge of every verifier
 * configured for DPoP names them, and the verifier should not load the DPoP step to know them.
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519']);
