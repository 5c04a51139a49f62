/** Assertions on refusals: what was refused, with which code, status and reason. */
import { expect } from 'vitest';
import { AccessTokenError, GuardError, KeysUnavailableError } from '../../src/errors.js';

/** The `GuardError` that `action` rejects or throws with; fails the test on success or on any other error. */
export async function refusalOf(action: Promise<unknown> | (() => unknown)): Promise<GuardError> {
  let outcome: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    outcome = error;
  }
  if (outcome === undefined) throw new Error('expected a refusal, the token was accepted');
  expect(outcome).toBeInstanceOf(GuardError);
  return outcome as GuardError;
}

/** Asserts a 401 `invalid_token` (or the `code` given) whose log reason matches `reason`. */
export async function expectRefused(
  action: Promise<unknown> | (() => unknown),
  reason?: RegExp,
  code: AccessTokenError['code'] = 'invalid_token',
): Promise<AccessTokenError> {
  const error = await refusalOf(action);
  expect(error).toBeInstanceOf(AccessTokenError);
  expect({ code: error.code, reason: error.reason }).toMatchObject({ code, ...(reason ? { reason: expect.stringMatching(reason) } : {}) });
  return error as AccessTokenError;
}

/** Asserts our own 503: the keys could not be obtained. */
export async function expectUnavailable(action: Promise<unknown> | (() => unknown)): Promise<KeysUnavailableError> {
  const error = await refusalOf(action);
  expect(error).toBeInstanceOf(KeysUnavailableError);
  return error as KeysUnavailableError;
}

/** The `AccessTokenError` that `action` is refused with, whatever its code (the test checks it). */
export async function accessTokenRefusal(action: Promise<unknown> | (() => unknown)): Promise<AccessTokenError> {
  const error = await refusalOf(action);
  expect(error).toBeInstanceOf(AccessTokenError);
  return error as AccessTokenError;
}
