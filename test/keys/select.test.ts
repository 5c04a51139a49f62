/**
 * Key choice, shared by every key source: the token names a key by `kid` (exact match) and the
 * key must fit the token's `alg` (type, curve, published alg, use); an unknown `kid` is left to
 * the caller (which may refresh), a misfit or an ambiguity is refused, never guessed.
 */
import { describe, expect, it } from 'vitest';
import { AccessTokenError } from '../../src/errors.js';
import { selectKey } from '../../src/keys/select.js';
import type { JWK, JWTHeader } from '../../src/types.js';
import { keyFor } from '../helpers/keys.js';

const rsa = keyFor('RS256', 'rsa-1').jwk;
const rsa2 = keyFor('RS256', 'rsa-2').jwk;
const ec = keyFor('ES256', 'ec-1').jwk;

function refusal(keys: JWK[], header: JWTHeader): AccessTokenError {
  try {
    selectKey(keys, header);
  } catch (error) {
    expect(error).toBeInstanceOf(AccessTokenError);
    expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
    return error as AccessTokenError;
  }
  throw new Error('expected selectKey to refuse');
}

describe('selectKey', () => {
  it('returns the key the kid names', () => {
    expect(selectKey([rsa, rsa2, ec], { alg: 'RS256', kid: 'rsa-2' })).toBe(rsa2);
  });

  it('returns undefined for a kid no key has, so the caller may refresh its set', () => {
    expect(selectKey([rsa, ec], { alg: 'RS256', kid: 'rsa-9' })).toBeUndefined();
  });

  it('compares kids exactly, case included', () => {
    expect(selectKey([rsa], { alg: 'RS256', kid: 'RSA-1' })).toBeUndefined();
    expect(selectKey([rsa], { alg: 'RS256', kid: 'rsa-1 ' })).toBeUndefined();
  });

  it('treats a kid as an opaque name, never a path or a pattern', () => {
    expect(selectKey([rsa], { alg: 'RS256', kid: '../rsa-1' })).toBeUndefined();
    expect(selectKey([rsa], { alg: 'RS256', kid: '.*' })).toBeUndefined();
  });

  it('refuses a kid whose key cannot verify the token\'s alg, saying why', () => {
    expect(refusal([rsa, ec], { alg: 'ES256', kid: 'rsa-1' }).reason).toMatch(/kid "rsa-1" cannot verify ES256: key type RSA/);
  });

  it('narrows keys sharing a kid by the token\'s alg', () => {
    const sharedRsa = { ...rsa, kid: 'shared' };
    const sharedEc = { ...ec, kid: 'shared' };
    expect(selectKey([sharedRsa, sharedEc], { alg: 'ES256', kid: 'shared' })).toBe(sharedEc);
    expect(selectKey([sharedRsa, sharedEc], { alg: 'RS256', kid: 'shared' })).toBe(sharedRsa);
  });

  it('narrows keys sharing a kid by use, so an encryption key is never chosen', () => {
    const signing = { ...rsa, kid: 'shared' };
    const encryption = { ...rsa2, kid: 'shared', use: 'enc', alg: undefined };
    expect(selectKey([encryption, signing], { alg: 'RS256', kid: 'shared' })).toBe(signing);
  });

  it('refuses a kid whose only key is for encryption', () => {
    expect(refusal([{ ...rsa, use: 'enc' }], { alg: 'RS256', kid: 'rsa-1' }).reason).toMatch(/use is "enc"/);
  });

  it('refuses, rather than guesses, when two keys with the kid could verify', () => {
    expect(refusal([rsa, { ...rsa2, kid: 'rsa-1' }], { alg: 'RS256', kid: 'rsa-1' }).reason).toMatch(/2 keys .* refusing to guess/);
  });

  it('uses the one key that fits a token without kid', () => {
    expect(selectKey([rsa, ec], { alg: 'ES256' })).toBe(ec);
  });

  it('refuses a token without kid when several keys fit', () => {
    expect(refusal([rsa, rsa2], { alg: 'RS256' }).reason).toMatch(/no kid and 2 keys could verify RS256/);
  });

  it('refuses a token without kid when no key fits', () => {
    expect(refusal([ec], { alg: 'RS256' }).reason).toMatch(/no kid and no key can verify RS256/);
  });

  it('chooses from the set only: a key described in the header is never returned', () => {
    const attacker = keyFor('RS256', 'attacker').jwk;
    const header: JWTHeader = { alg: 'RS256', kid: 'attacker', jwk: attacker, jku: 'https://attacker.example/jwks', x5c: ['MIIB'] };
    expect(selectKey([rsa], header)).toBeUndefined();
    expect(selectKey([rsa], { ...header, kid: undefined })).toBe(rsa);
  });
});
