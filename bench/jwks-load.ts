/**
 * Table 4: the key source under load, against a local issuer whose discovery document and JWKS
 * each answer after a delay (20 ms). Fetches are counted by the issuer's server, so "one fetch"
 * is what reached the wire. Every verifier here uses discovery (only `issuer` configured), as an
 * Auth0 API would.
 */
import { createVerifier, type Verifier } from '../src/index.js';
import { isGuardError } from '../src/errors.js';
import { BenchIssuer } from './lib/issuer.js';
import { AUDIENCE, generateKey } from './lib/keys.js';
import type { Table, Target } from './lib/stats.js';

export interface JwksOptions {
  delayMs: number;
  /** Concurrent verifications in the cold and rotation scenarios. */
  concurrent: number;
  /** The flood: unknown kids over `floodSeconds`, a legitimate token every 50 ms alongside. */
  floodTokens: number;
  floodSeconds: number;
  /** Cooldown (s) used where a scenario needs to see more than one window in a short run. */
  shortCooldown: number;
}

interface Scenario {
  name: string;
  expected: string;
  metadataFetches: number;
  jwksFetches: number;
  accepted: string;
  refused: string;
  met: boolean;
}

export interface JwksResult {
  scenarios: Scenario[];
  wrong: string[];
}

interface Outcome {
  accepted: number;
  /** Refused as a bad token (401). */
  refused: number;
  /** Our 503 or anything else: never right for these scenarios. */
  other: string[];
}

async function settle(verifier: Verifier, tokens: readonly string[]): Promise<Outcome> {
  const outcome: Outcome = { accepted: 0, refused: 0, other: [] };
  await Promise.all(
    tokens.map((token) =>
      verifier.verify(token).then(
        () => void outcome.accepted++,
        (error: unknown) => {
          if (isGuardError(error) && error.status === 401) outcome.refused++;
          else outcome.other.push(String((error as Error)?.message ?? error));
        },
      ),
    ),
  );
  return outcome;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token naming a kid the issuer never published (its signature is never looked at). */
function unknownKidToken(template: string, n: number): string {
  const [, payload, signature] = template.split('.');
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: `unknown-${n}-${Math.random().toString(36).slice(2)}` })).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

export async function runJwks(options: JwksOptions): Promise<JwksResult> {
  const scenarios: Scenario[] = [];
  const wrong: string[] = [];
  const issuer = await BenchIssuer.start(['RS256']);
  issuer.jwksDelayMs = options.delayMs;
  const record = (scenario: Scenario, outcome: Outcome) => {
    scenarios.push(scenario);
    if (outcome.other.length > 0) wrong.push(`${scenario.name}: ${outcome.other.length} unexpected errors, e.g. ${outcome.other[0]}`);
    if (!scenario.met) wrong.push(`${scenario.name}: expected ${scenario.expected}, got metadata ${scenario.metadataFetches}, JWKS ${scenario.jwksFetches}, accepted ${scenario.accepted}, refused ${scenario.refused}`);
  };
  try {
    // 1. Cold: nothing cached, `concurrent` verifications at once share one discovery and one JWKS fetch.
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: { cooldown: options.shortCooldown } });
    const cold = issuer.mintMany(options.concurrent);
    issuer.resetCounts();
    let outcome = await settle(verifier, cold);
    record(
      {
        name: `cold start, ${options.concurrent} concurrent verifications`,
        expected: '1 metadata + 1 JWKS fetch, all accepted',
        metadataFetches: issuer.metadataHits,
        jwksFetches: issuer.jwksHits,
        accepted: `${outcome.accepted}/${cold.length}`,
        refused: String(outcome.refused),
        met: issuer.metadataHits === 1 && issuer.jwksHits === 1 && outcome.accepted === cold.length,
      },
      outcome,
    );

    // 2. Rotation: a new key appears after the cooldown; tokens signed with it share one fetch.
    await sleep(options.shortCooldown * 1000 + 100);
    const rotated = issuer.publish(generateKey('RS256'));
    const rotatedTokens = issuer.mintMany(options.concurrent, { key: rotated });
    issuer.resetCounts();
    outcome = await settle(verifier, rotatedTokens);
    record(
      {
        name: `rotation (new kid), ${options.concurrent} concurrent verifications`,
        expected: '1 JWKS fetch, all accepted',
        metadataFetches: issuer.metadataHits,
        jwksFetches: issuer.jwksHits,
        accepted: `${outcome.accepted}/${rotatedTokens.length}`,
        refused: String(outcome.refused),
        met: issuer.jwksHits === 1 && outcome.accepted === rotatedTokens.length,
      },
      outcome,
    );

    // 3. Floods of unknown kids, with the default cooldown (30 s) and a short one.
    for (const cooldown of [undefined, options.shortCooldown]) {
      // Cold: the flood's first tokens cause the first fetch; every later one must wait its window.
      const flooded = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwks: cooldown === undefined ? {} : { cooldown } });
      issuer.resetCounts();
      const { legit, unknown } = await flood(flooded, issuer, options);
      const windows = Math.floor(options.floodSeconds / (cooldown ?? 30)) + 1;
      const legitTotal = legit.accepted + legit.refused + legit.other.length;
      const unknownTotal = unknown.accepted + unknown.refused + unknown.other.length;
      record(
        {
          name: `flood: ${unknownTotal} unknown kids over ${options.floodSeconds} s + a valid token every 50 ms, cooldown ${cooldown ?? 30} s`,
          expected: `≤ ${windows} JWKS fetch${windows > 1 ? 'es' : ''} (1 per cooldown window, the first cold), every valid token accepted, every unknown kid refused (401)`,
          metadataFetches: issuer.metadataHits,
          jwksFetches: issuer.jwksHits,
          accepted: `${legit.accepted}/${legitTotal} valid`,
          refused: `${unknown.refused}/${unknownTotal} unknown`,
          met: issuer.jwksHits <= windows && legit.accepted === legitTotal && unknown.refused === unknownTotal,
        },
        { accepted: 0, refused: 0, other: [...legit.other, ...unknown.other] },
      );
    }

    // 4. A key published ahead of use (Auth0's "next" key) is known before the issuer signs with it.
    const ahead = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE });
    const next = issuer.publish(generateKey('RS256'));
    await ahead.verify(issuer.mint(0));
    issuer.resetCounts();
    // The switch comes at once, well inside the 30 s cooldown: no fetch may happen, none is needed.
    const switched = issuer.mintMany(Math.min(100, options.concurrent), { key: next });
    outcome = await settle(ahead, switched);
    record(
      {
        name: 'issuer switches to the key it published ahead of use, inside the cooldown',
        expected: '0 fetches, all accepted',
        metadataFetches: issuer.metadataHits,
        jwksFetches: issuer.jwksHits,
        accepted: `${outcome.accepted}/${switched.length}`,
        refused: String(outcome.refused),
        met: issuer.jwksHits === 0 && issuer.metadataHits === 0 && outcome.accepted === switched.length,
      },
      outcome,
    );
  } finally {
    await issuer.close();
  }
  return { scenarios, wrong };
}

/** Unknown kids at an even pace, and a legitimate token every 50 ms, for `floodSeconds`. */
async function flood(verifier: Verifier, issuer: BenchIssuer, options: JwksOptions) {
  const template = issuer.mint(0);
  const ticks = Math.round((options.floodSeconds * 1000) / 10);
  const perTick = Math.ceil(options.floodTokens / ticks);
  const legitTokens = issuer.mintMany(Math.round((options.floodSeconds * 1000) / 50));
  const unknownTokens = Array.from({ length: ticks * perTick }, (_, n) => unknownKidToken(template, n));
  const pending: { legit: Promise<Outcome>[]; unknown: Promise<Outcome>[] } = { legit: [], unknown: [] };
  const start = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    // Keep to the schedule even if a tick ran late.
    const due = start + tick * 10;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.unknown.push(settle(verifier, unknownTokens.slice(tick * perTick, (tick + 1) * perTick)));
    if (tick % 5 === 0) pending.legit.push(settle(verifier, [legitTokens[tick / 5] as string]));
  }
  const merge = (outcomes: Outcome[]): Outcome => ({
    accepted: outcomes.reduce((sum, o) => sum + o.accepted, 0),
    refused: outcomes.reduce((sum, o) => sum + o.refused, 0),
    other: outcomes.flatMap((o) => o.other),
  });
  return { legit: merge(await Promise.all(pending.legit)), unknown: merge(await Promise.all(pending.unknown)) };
}

export function jwksTables(result: JwksResult, options: JwksOptions): Table[] {
  return [
    {
      title: `JWKS under load — local issuer answering after ${options.delayMs} ms`,
      note: 'Fetches counted by the issuer\'s server. Verifiers use discovery (issuer only); the short cooldown is used where a scenario must see more than one window.',
      columns: ['scenario', 'expected', 'metadata fetches', 'JWKS fetches', 'accepted', 'refused', 'result'],
      rows: result.scenarios.map((s) => [s.name, s.expected, String(s.metadataFetches), String(s.jwksFetches), s.accepted, s.refused, s.met ? 'met' : 'MISSED']),
    },
  ];
}

export function jwksTargets(result: JwksResult): Target[] {
  return result.scenarios.map((s) => ({ name: `JWKS: ${s.name}`, met: s.met, detail: `${s.jwksFetches} JWKS fetches; ${s.accepted} accepted; ${s.refused} refused` }));
}
