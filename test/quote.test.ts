/** `quote`: how a token-supplied value appears in a log reason. */
import { describe, expect, it } from 'vitest';
import { quote } from '../src/quote.js';

describe('quote', () => {
  it('puts a string in double quotes', () => {
    expect(quote('RS256')).toBe('"RS256"');
  });

  it('escapes CR, LF and every other control character, so a value cannot start a log line', () => {
    const quoted = quote('RS256\r\n2026-01-01 INFO accepted\u001b[2J\u0000');
    // eslint-disable-next-line no-control-regex
    expect(quoted).not.toMatch(/[\u0000-\u001f]/);
    expect(quoted).toBe('"RS256\\r\\n2026-01-01 INFO accepted\\u001b[2J\\u0000"');
  });

  it('escapes DEL, C1 controls and the Unicode line separators, which JSON leaves as they are', () => {
    expect(quote('a\u007fb\u009bc\u2028d\u2029e')).toBe('"a\\u007fb\\u009bc\\u2028d\\u2029e"');
  });

  it('escapes quotes and backslashes, so the value cannot close its quotes', () => {
    expect(quote('x", "admin": "y\\')).toBe('"x\\", \\"admin\\": \\"y\\\\"');
  });

  it('cuts a long value to 100 characters', () => {
    expect(quote('k'.repeat(10_000))).toBe(`"${'k'.repeat(100)}…"`);
    expect(quote({ crit: ['x'.repeat(500)] }).length).toBeLessThanOrEqual(101);
  });

  it('shows other values as JSON, and undefined as (none)', () => {
    expect(quote(['b64', 'exp'])).toBe('["b64","exp"]');
    expect(quote(42)).toBe('42');
    expect(quote(undefined)).toBe('(none)');
    expect(quote(10n)).toBe('(bigint)');
  });
});
