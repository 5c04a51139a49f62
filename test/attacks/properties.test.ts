/**
 * Property-based attacks (fast-check) on both crypto backends: "nothing bad gets through, nothing
 * good is refused, nothing breaks". For arbitrary strings, and for arbitrary mutations of valid
 * tokens (bit flips, character edits, other base64url spellings, re-encodings, swapped, dropped
 * or repeated segments, rewritten JSON with duplicate members, huge numbers, prototype keys), the
 * verifier accepts exactly the unmutated original and refuses everything else with its typed
 * error, never another exception, never a hang (see `outcomeOf`). A fixed number of runs; the
 * seed is printed, and `FC_SEED=<seed>` replays a run.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { b64url, signJws } from '../helpers/keys.js';
import { AUDIENCE, ISSUER, auth0Claims, respellings } from '../helpers/tokens.js';
import { BACKENDS, SIGNING_KEYS, attackedVerifier, outcomeOf, validTokens } from './support.js';

const NUM_RUNS = 400;
const SEED = process.env.FC_SEED === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(process.env.FC_SEED);
console.log(`fast-check seed ${SEED} (replay with FC_SEED=${SEED}), ${NUM_RUNS} runs per property`);
const PARAMETERS = { numRuns: NUM_RUNS, seed: SEED, endOnFailure: true } as const;

let tokens: string[];
beforeAll(async () => {
  tokens = await validTokens();
});

// ---- mutations -------------------------------------------------------------------------

const HUGE_NUMBERS = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '9007199254740993', '-0', '0.0000001'];
const MEMBER_NAMES = ['alg', 'kid', 'typ', 'enc', 'cty', 'crit', 'jku', 'jwk', 'x5u', 'zip', 'iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'scope', 'cnf', '__proto__', 'constructor'];

type Mutation =
  | { kind: 'flipBit'; segment: number; bit: number }
  | { kind: 'replaceChar'; at: number; char: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'respell'; segment: number; variant: number }
  | { kind: 'reencode'; segment: number; style: 'padded' | 'base64' | 'spaced' }
  | { kind: 'swapSegments'; i: number; j: number }
  | { kind: 'dropSegment'; i: number }
  | { kind: 'repeatSegment'; i: number }
  | { kind: 'duplicateMember'; segment: number; name: string; value: string }
  | { kind: 'hugeNumber'; segment: number; name: string; literal: string }
  | { kind: 'replaceJson'; segment: number; json: string };

const jsonText = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null');

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flipBit' as const), segment: fc.nat(4), bit: fc.nat(4096) }),
  fc.record({ kind: fc.constant('replaceChar' as const), at: fc.nat(5000), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(5000), text: fc.string({ unit: 'binary', maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(5000), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('respell' as const), segment: fc.nat(4), variant: fc.nat(14) }),
  fc.record({ kind: fc.constant('reencode' as const), segment: fc.nat(4), style: fc.constantFrom('padded' as const, 'base64' as const, 'spaced' as const) }),
  fc.record({ kind: fc.constant('swapSegments' as const), i: fc.nat(4), j: fc.nat(4) }),
  fc.record({ kind: fc.constant('dropSegment' as const), i: fc.nat(4) }),
  fc.record({ kind: fc.constant('repeatSegment' as const), i: fc.nat(4) }),
  fc.record({ kind: fc.constant('duplicateMember' as const), segment: fc.nat(1), name: fc.constantFrom(...MEMBER_NAMES), value: jsonText }),
  fc.record({ kind: fc.constant('hugeNumber' as const), segment: fc.nat(1), name: fc.constantFrom(...MEMBER_NAMES), literal: fc.constantFrom(...HUGE_NUMBERS) }),
  fc.record({ kind: fc.constant('replaceJson' as const), segment: fc.nat(1), json: jsonText }),
);

function mutate(token: string, change: Mutation): string {
  const parts = token.split('.');
  const pick = (index: number) => index % parts.length;
  const setPart = (index: number, value: string) => {
    parts[pick(index)] = value;
    return parts.join('.');
  };
  switch (change.kind) {
    case 'flipBit': {
      const bytes = Buffer.from(parts[pick(change.segment)] as string, 'base64url');
      if (bytes.length === 0) return token;
      const bit = change.bit % (bytes.length * 8);
      bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
      return setPart(change.segment, bytes.toString('base64url'));
    }
    case 'replaceChar': {
      const at = change.at % token.length;
      return token.slice(0, at) + change.char + token.slice(at + 1);
    }
    case 'insert': {
      const at = change.at % (token.length + 1);
      return token.slice(0, at) + change.text + token.slice(at);
    }
    case 'delete': {
      const at = change.at % token.length;
      return token.slice(0, at) + token.slice(at + change.length);
    }
    case 'respell': {
      const spellings = respellings(parts[pick(change.segment)] as string);
      return spellings.length === 0 ? token : setPart(change.segment, spellings[change.variant % spellings.length] as string);
    }
    case 'reencode': {
      const bytes = Buffer.from(parts[pick(change.segment)] as string, 'base64url');
      const text = change.style === 'spaced' ? bytes.toString('base64url').replace(/(.{4})/g, '$1 ') : bytes.toString('base64');
      return setPart(change.segment, change.style === 'padded' ? `${bytes.toString('base64url')}==`.slice(0, Math.ceil(bytes.length / 3) * 4) : text);
    }
    case 'swapSegments': {
      const [i, j] = [pick(change.i), pick(change.j)];
      [parts[i], parts[j]] = [parts[j] as string, parts[i] as string];
      return parts.join('.');
    }
    case 'dropSegment':
      parts.splice(pick(change.i), 1);
      return parts.join('.');
    case 'repeatSegment':
      parts.splice(pick(change.i), 0, parts[pick(change.i)] as string);
      return parts.join('.');
    case 'duplicateMember':
      return rewriteJson(parts, pick(change.segment), (json) => json.replace(/}\s*$/, `,${JSON.stringify(change.name)}:${change.value}}`));
    case 'hugeNumber':
      return rewriteJson(parts, pick(change.segment), (json) => json.replace(/}\s*$/, `,${JSON.stringify(change.name)}:${change.literal}}`));
    case 'replaceJson':
      return rewriteJson(parts, pick(change.segment), () => change.json);
  }
}

/** Decodes segment `index` as text, edits it, encodes it back (canonically). */
function rewriteJson(parts: string[], index: number, edit: (json: string) => string): string {
  const text = Buffer.from(parts[index] as string, 'base64url').toString('utf8');
  parts[index] = b64url(edit(text));
  return parts.join('.');
}

// ---- properties ------------------------------------------------------------------------

describe.each(BACKENDS)('on the %s backend', (_name, backend) => {
  const verifier = attackedVerifier(backend);

  it('accepts every valid original (the baseline the properties compare with)', async () => {
    for (const token of tokens) expect('accepted' in (await outcomeOf(verifier.verify(token)))).toBe(true);
  });

  it('refuses arbitrary strings with its typed error, never anything else', async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
      fc.array(jsonText.map(b64url), { minLength: 2, maxLength: 5 }).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(input, async (token) => {
        expect('refused' in (await outcomeOf(verifier.verify(token)))).toBe(true);
      }),
      PARAMETERS,
    );
  });

  it('accepts a mutated token exactly when it is still the original, and refuses it with its typed error otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, changes) => {
        const original = tokens[which % tokens.length] as string;
        const mutated = changes.reduce(mutate, original);
        const outcome = await outcomeOf(verifier.verify(mutated));
        expect('accepted' in outcome).toBe(mutated === original);
      }),
      PARAMETERS,
    );
  });

  it("never breaks on claims the trusted issuer signed, whatever their values, and accepts only those that meet the rules", async () => {
    const claimName = fc.constantFrom('iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'scope', 'azp', 'client_id', 'permissions', 'cnf', 'jti', '__proto__', 'constructor', 'toString');
    const override = fc.oneof(
      fc.tuple(claimName, jsonText),
      fc.tuple(claimName, fc.constantFrom(...HUGE_NUMBERS)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(override, { maxLength: 4 }), async (overrides) => {
        // Textual JSON: duplicate members and number literals JSON.stringify would never write.
        const base = JSON.stringify(auth0Claims());
        const payload = overrides.reduce((json, [name, value]) => json.replace(/}$/, `,${JSON.stringify(name)}:${value}}`), base);
        const token = signJws({ alg: 'RS256', kid: SIGNING_KEYS[0].kid, typ: 'JWT' }, payload, SIGNING_KEYS[0].privateKey);
        const outcome = await outcomeOf(verifier.verify(token));
        if ('accepted' in outcome) {
          const { claims } = outcome.accepted;
          expect(claims.iss).toBe(ISSUER);
          expect(typeof claims.aud === 'string' ? [claims.aud] : claims.aud).toContain(AUDIENCE);
          expect(typeof claims.exp === 'number' && Number.isFinite(claims.exp) && claims.exp * 1000 > Date.now()).toBe(true);
        }
      }),
      PARAMETERS,
    );
  });
});
