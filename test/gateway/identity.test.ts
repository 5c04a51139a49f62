/** Identity header values: printable ASCII as it is, everything else percent-encoded. */
import { describe, expect, it } from 'vitest';
import { safeHeaderValue } from '../../src/gateway/identity.js';

describe('safeHeaderValue', () => {
  it('keeps printable ASCII as it is', () => {
    expect(safeHeaderValue('auth0|user-1 read:messages')).toBe('auth0|user-1 read:messages');
  });

  it('percent-encodes CR, LF and other control characters, so a value cannot split a header', () => {
    expect(safeHeaderValue('a\r\nb\u0000\t\u007f')).toBe('a%0D%0Ab%00%09%7F');
  });

  it('percent-encodes % itself, so decoding gives the value back', () => {
    const value = 'x%41 é 😀';
    expect(decodeURIComponent(safeHeaderValue(value))).toBe(value);
  });
});
