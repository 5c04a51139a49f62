/**
 * The object `verify` resolves with: the `AuthResult` fields, and, read through the `CHALLENGE`
 * symbol, the challenge settings of the verifier that made it, which the guards render their
 * refusals with. A class: cheaper to make than an object literal given a hidden property, and
 * one class for every verifier, so every result has the same shape and the code reading results
 * stays fast in a process with several verifiers (a class per verifier made a cached hit 8×
 * slower there, bench/RESULTS.md).
 */
import type { ChallengeOptions } from './errors.js';
import type { VerifiedToken } from './result-cache.js';
import type { AuthResult as AuthResultFields, Binding } from './types.js';

/** Where a result keeps its verifier's challenge settings, for the guards' refusals. */
export const CHALLENGE = Symbol.for('access-token-guard.challenge');

/** What a verifier tells every result it makes: set once per verifier. */
export interface ResultContext {
  readonly challenge: ChallengeOptions;
  /** `resourceMetadata.resource`, when configured. */
  readonly resource: string | undefined;
  readonly audiences: readonly string[];
}

export class AuthResult implements AuthResultFields {
  token: string;
  issuer: string;
  header: AuthResultFields['header'];
  claims: AuthResultFields['claims'];
  subject: string | undefined;
  clientId: string | undefined;
  scopes: string[];
  permissions: string[];
  dialect: AuthResultFields['dialect'];
  binding: Binding;
  encrypted: boolean;
  readonly #context: ResultContext;

  constructor(verified: VerifiedToken, binding: Binding, context: ResultContext) {
    this.token = verified.token;
    this.issuer = verified.issuer;
    this.header = verified.header;
    this.claims = verified.claims;
    this.subject = verified.claims.sub;
    this.clientId = verified.clientId;
    this.scopes = verified.scopes;
    this.permissions = verified.permissions;
    this.dialect = verified.dialect;
    this.binding = binding;
    this.encrypted = verified.encrypted;
    this.#context = context;
  }

  get [CHALLENGE](): ChallengeOptions {
    return this.#context.challenge;
  }

  // Getters, not fields: read by few hosts (the MCP SDK), so the hot path does not pay for them.
  get expiresAt(): number | undefined {
    return this.claims.exp;
  }

  get resource(): URL | undefined {
    const { resource, audiences } = this.#context;
    if (resource !== undefined) return new URL(resource);
    const aud = this.claims.aud;
    const matched = audiences.find((audience) => (Array.isArray(aud) ? aud.includes(audience) : aud === audience));
    return matched !== undefined && URL.canParse(matched) ? new URL(matched) : undefined;
  }
}
