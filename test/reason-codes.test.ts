/**
 * The reason-code table is one source: the README's table is generated from it, every code has a
 * meaning and a hint, and its status is the status an error with that code is answered with.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTable } from '../scripts/reason-codes.js';
import { AccessTokenError, ConfigurationError, KeysUnavailableError, REASON_CODES, isReasonCode, reasonHint } from '../src/index.js';

describe('reason codes', () => {
  it('the README shows exactly the table of src/reason-codes.ts (npm run docs:reason-codes)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
    expect(withTable(readme)).toBe(readme);
  });

  it('every code is snake_case with a meaning and a hint', () => {
    for (const [code, info] of Object.entries(REASON_CODES)) {
      expect(code).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
      expect(info.meaning.length).toBeGreaterThan(10);
      expect(reasonHint(code as keyof typeof REASON_CODES).length).toBeGreaterThan(5);
    }
    expect(isReasonCode('expired')).toBe(true);
    expect(isReasonCode('toString')).toBe(false);
  });

  it('an error made with a code has the status the table gives for it', () => {
    expect(new AccessTokenError('invalid_token', 'd', 'r', { reasonCode: 'expired' }).status).toBe(REASON_CODES.expired.status);
    expect(new AccessTokenError('insufficient_scope', 'd', 'r', { reasonCode: 'no_permissions_claim' }).status).toBe(REASON_CODES.no_permissions_claim.status);
    expect(new KeysUnavailableError('r', 1).status).toBe(REASON_CODES.keys_unavailable.status);
    expect(new ConfigurationError('r', 'issuer_misconfigured').status).toBe(REASON_CODES.issuer_misconfigured.status);
  });

  it('an error made without one gets the least precise code for its error code, and keeps it through withContext', () => {
    const error = new AccessTokenError('invalid_request', 'd');
    expect(error.reasonCode).toBe('malformed_request');
    expect(new AccessTokenError('invalid_token', 'd', 'r', { reasonCode: 'expired' }).withContext({ schemes: ['Bearer'] }, 'Bearer').reasonCode).toBe('expired');
  });

  it('is never sent to the client', () => {
    const error = new AccessTokenError('invalid_token', 'The access token expired.', 'exp 1 is 2 s in the past', { reasonCode: 'expired' });
    expect(JSON.stringify(error.response)).not.toContain('expired"');
    expect(error.response.body).toBe(JSON.stringify({ error: 'invalid_token', error_description: 'The access token expired.' }));
  });
});
