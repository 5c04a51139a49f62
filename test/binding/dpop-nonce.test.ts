/** Secret-based rotating nonces: HMAC-SHA-256 right on both backends, current and previous period only. */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNonceSource } from '../../src/binding/dpop-nonce.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { webCrypto } from '../../src/crypto/web.js';

const secret = 'k'.repeat(40);

afterEach(() => {
  vi.useRealTimers();
});

describe.each([
  ['node', nodeCrypto],
  ['webcrypto', webCrypto],
])('secret nonces on the %s backend', (_name, backend) => {
  it('are HMAC-SHA-256 of the period under the secret', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const nonce = await createNonceSource({ secret, lifetime: 300 }, backend).current();
    const period = Math.floor(1_700_000_000_000 / 300_000);
    const mac = createHmac('sha256', secret).update(`dpop-nonce:${period}`).digest('base64url');
    expect(nonce).toBe(`${period.toString(36)}.${mac}`);
  });

  it('stay valid for the current and the next period only', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const source = createNonceSource({ secret, lifetime: 60 }, backend);
    const nonce = await source.current();
    expect(await source.isValid(nonce)).toBe(true);
    vi.setSystemTime(1_700_000_000_000 + 60_000);
    expect(await source.isValid(nonce)).toBe(true);
    expect(await source.current()).not.toBe(nonce);
    vi.setSystemTime(1_700_000_000_000 + 120_000);
    expect(await source.isValid(nonce)).toBe(false);
  });

  it('refuse a forged or garbled nonce', async () => {
    const source = createNonceSource({ secret }, backend);
    const nonce = await source.current();
    const [period] = nonce.split('.');
    for (const candidate of [`${period}.${'A'.repeat(43)}`, 'garbage', '.', `${period}.`, `zzzzzzzzzzzzzz.${nonce.split('.')[1]}`]) {
      expect(await source.isValid(candidate)).toBe(false);
    }
  });

  it('refuse a secret longer than one SHA-256 block', () => {
    expect(() => createNonceSource({ secret: 'x'.repeat(65) }, backend)).toThrow(TypeError);
  });
});
