/**
 * `access-token-guard inspect <token>`: what a token is and whether this API would accept it.
 * The checks are the verifier's own steps (the same functions, the same log reasons), run one by
 * one so every check gets its own pass or fail instead of the first failure only; each failure
 * carries its reason code and the hint of src/reason-codes.ts. Offline unless given a JWKS URI or
 * an issuer (then the signature is checked against the issuer's keys, found by discovery).
 */
import { checkAudience, checkClaimTypes, checkIssuer, checkTimes, nowInSeconds, parseClaims } from './claims.js';
import { nodeCrypto } from './crypto/node.js';
import { isSigningAlgorithm } from './crypto/types.js';
import { explainKeyRefusal } from './diagnosis.js';
import { applyDialect, isAtJwt } from './dialects.js';
import { GuardError } from './errors.js';
import { isCompactJwe } from './jwe/decrypt.js';
import { createDiscoveredJwks } from './keys/discovery.js';
import { createRemoteJwks } from './keys/remote-jwks.js';
import { REASON_CODES, type ReasonCode } from './reason-codes.js';
import { SignatureVerifier, parseCompactJws, type CompactJws } from './signature.js';
import type { Dialect, JWTClaims, KeySource } from './types.js';
import { DEFAULT_CLOCK_TOLERANCE } from './verifier.js';

export interface InspectSettings {
  issuer?: string;
  audience?: string[];
  jwksUri?: string;
  dialect?: Dialect;
  algorithms?: string[];
  clockTolerance?: number;
}

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface Check {
  name: string;
  status: CheckStatus;
  /** What was found: the verifier's log reason for a failure. */
  detail: string;
  reasonCode?: ReasonCode;
  hint?: string;
}

export interface TimeClaim {
  claim: string;
  value: number;
  date: string;
  relative: string;
}

export interface InspectReport {
  form: 'jws' | 'jwe' | 'opaque' | 'malformed';
  /** Which token profile it looks like. */
  profile: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  times: TimeClaim[];
  checks: Check[];
  /** True only when every check passed: the API would accept the token. */
  accepted: boolean;
}

const TIME_CLAIMS = ['iat', 'nbf', 'exp', 'auth_time'];

export async function inspectToken(token: string, settings: InspectSettings = {}): Promise<InspectReport> {
  const checks: Check[] = [];
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  const algorithms = settings.algorithms ?? ['RS256'];
  for (const alg of algorithms) if (!isSigningAlgorithm(alg)) throw new TypeError(`unknown algorithm ${JSON.stringify(alg)}`);

  if (isCompactJwe(trimmed)) {
    const header = decodeSegment(trimmed.slice(0, trimmed.indexOf('.')));
    const dir = header?.alg === 'dir';
    checks.push({
      name: 'form',
      status: 'fail',
      detail: dir
        ? 'a JWE with alg "dir", which only its issuer can read: on Auth0 the client requested no audience; request the API\'s audience when getting the token'
        : 'an encrypted token (JWE): inspect cannot decrypt it; the API needs `decryptionKeys`',
      ...coded(dir ? 'no_audience_requested' : 'decryption_keys_missing'),
    });
    return report('jwe', dir ? 'JWE encrypted for the issuer itself (Auth0, no audience requested)' : 'JWE (encrypted access token)', header, undefined, checks);
  }

  let parsed: CompactJws;
  try {
    parsed = parseCompactJws(trimmed, nodeCrypto);
  } catch (error) {
    const failure = describe(error);
    checks.push({ name: 'form', ...failure });
    const opaque = failure.reasonCode === 'opaque_token';
    return report(opaque ? 'opaque' : 'malformed', opaque ? 'opaque token (not a JWT)' : 'not a JWT', undefined, undefined, checks);
  }
  checks.push({ name: 'form', status: 'pass', detail: 'a compact JWS (signed JWT)' });

  let claims: JWTClaims;
  try {
    claims = parseClaims(nodeCrypto.decodeBase64UrlText(parsed.payload));
  } catch (error) {
    checks.push({ name: 'claims', ...describe(error) });
    return report('malformed', 'not a JWT', parsed.header, undefined, checks);
  }

  checks.push(await signatureCheck(parsed, settings, algorithms));
  checks.push(run('claim types', 'every registered claim has its type', () => checkClaimTypes(claims)));
  checks.push(
    settings.issuer === undefined
      ? skipped('issuer', 'give --issuer to check iss')
      : run('issuer', `iss is ${JSON.stringify(claims.iss)}`, () => checkIssuer(claims, settings.issuer as string)),
  );
  checks.push(
    settings.audience === undefined
      ? skipped('audience', 'give --audience to check aud')
      : run('audience', `aud ${JSON.stringify(claims.aud)} names this API`, () => checkAudience(claims, settings.audience as string[])),
  );
  const clockTolerance = settings.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  checks.push(
    run('lifetime', `valid now (clock tolerance ${clockTolerance} s)`, () =>
      checkTimes(claims, { clockTolerance, maxTokenAge: undefined }, nowInSeconds()),
    ),
  );
  const dialect = settings.dialect ?? 'any';
  const rules = { dialect, clientIds: undefined, scopesPath: undefined, permissionsPath: undefined, audiences: settings.audience ?? [] };
  checks.push(run('profile', `meets the rules of dialect "${dialect}"`, () => void applyDialect(rules, parsed.header, claims)));
  return report('jws', profileOf(parsed.header, claims), parsed.header, claims, checks);
}

async function signatureCheck(parsed: CompactJws, settings: InspectSettings, algorithms: string[]): Promise<Check> {
  if (settings.jwksUri === undefined && settings.issuer === undefined) {
    return skipped('signature', 'offline: give --jwks-uri or --issuer to check the signature against the issuer\'s keys');
  }
  if (parsed.header.alg?.startsWith('HS')) return skipped('signature', `${parsed.header.alg} is signed with a shared secret, which inspect does not take`);
  let source: KeySource;
  try {
    source = settings.jwksUri !== undefined ? createRemoteJwks(settings.jwksUri) : createDiscoveredJwks(settings.issuer as string);
  } catch (error) {
    return { name: 'signature', status: 'fail', detail: (error as Error).message };
  }
  const verifier = new SignatureVerifier(nodeCrypto, algorithms, () => source);
  try {
    await verifier.check(parsed);
    return { name: 'signature', status: 'pass', detail: `verified (alg ${parsed.header.alg}, kid ${parsed.header.kid ?? 'none'})` };
  } catch (error) {
    return { name: 'signature', ...describe(settings.issuer === undefined ? error : explainKeyRefusal(error, parsed, settings.issuer, nodeCrypto)) };
  }
}

/** Which token profile the token looks like, from its header and claims. */
export function profileOf(header: Record<string, unknown>, claims: JWTClaims): string {
  if (isAtJwt(header.typ)) return 'RFC 9068 access token (typ at+jwt)';
  const signIn = claims.nonce !== undefined || claims.at_hash !== undefined || (typeof claims.aud === 'string' && claims.aud === claims.azp && claims.scope === undefined);
  if (signIn) return 'ID token (not an access token)';
  if (claims.azp !== undefined) return 'Auth0 access token (azp, scope, permissions)';
  if (claims.client_id !== undefined) return 'access token with client_id (RFC 9068 claims without typ at+jwt)';
  return 'JWT (generic)';
}

function run(name: string, passed: string, check: () => void): Check {
  try {
    check();
    return { name, status: 'pass', detail: passed };
  } catch (error) {
    return { name, ...describe(error) };
  }
}

function describe(error: unknown): Omit<Check, 'name'> {
  if (error instanceof GuardError) return { status: 'fail', detail: error.reason, ...coded(error.reasonCode) };
  return { status: 'fail', detail: error instanceof Error ? error.message : String(error) };
}

function coded(reasonCode: ReasonCode): { reasonCode: ReasonCode; hint: string } {
  return { reasonCode, hint: REASON_CODES[reasonCode].hint };
}

function skipped(name: string, detail: string): Check {
  return { name, status: 'skipped', detail };
}

function report(form: InspectReport['form'], profile: string, header: Record<string, unknown> | undefined, claims: JWTClaims | undefined, checks: Check[]): InspectReport {
  const now = nowInSeconds();
  const times = TIME_CLAIMS.flatMap((claim) => {
    const value = claims?.[claim];
    if (typeof value !== 'number' || !Number.isFinite(value)) return [];
    return [{ claim, value, date: new Date(value * 1000).toISOString(), relative: relative(claim, value - now) }];
  });
  return { form, profile, header, claims, times, checks, accepted: checks.every((check) => check.status === 'pass') };
}

/** "expires in 59 min", "expired 3 min ago", "issued 2 h ago". */
function relative(claim: string, deltaSeconds: number): string {
  const span = duration(Math.abs(deltaSeconds));
  const future = deltaSeconds > 0;
  if (claim === 'exp') return future ? `expires in ${span}` : `expired ${span} ago`;
  if (claim === 'nbf') return future ? `valid in ${span}` : `valid since ${span} ago`;
  return future ? `${span} in the future` : `${span} ago`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(nodeCrypto.decodeBase64UrlText(segment));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The report for a terminal: sections, one line per check, colour when asked. */
export function formatReport(report: InspectReport, { colour = false }: { colour?: boolean } = {}): string {
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const mark: Record<CheckStatus, string> = { pass: paint(32, 'PASS'), fail: paint(31, 'FAIL'), skipped: paint(33, 'SKIP') };
  const lines: string[] = [`Token: ${report.form.toUpperCase()}, looks like: ${report.profile}`];
  if (report.header) lines.push('', 'Header', ...Object.entries(report.header).map(([name, value]) => `  ${name}: ${printable(value)}`));
  if (report.claims) {
    const times = new Map(report.times.map((time) => [time.claim, time]));
    lines.push('', 'Claims');
    for (const [name, value] of Object.entries(report.claims)) {
      const time = times.get(name);
      lines.push(`  ${name}: ${printable(value)}${time ? `  (${time.date}, ${time.relative})` : ''}`);
    }
  }
  lines.push('', 'Checks');
  for (const check of report.checks) {
    lines.push(`  ${mark[check.status]} ${check.name.padEnd(12)} ${check.detail}`);
    if (check.reasonCode) lines.push(`       ${''.padEnd(12)} [${check.reasonCode}] ${check.hint}`);
  }
  const failed = report.checks.find((check) => check.status === 'fail');
  lines.push(
    '',
    report.accepted
      ? paint(32, 'Verdict: ACCEPTED: this API would accept the token')
      : paint(31, `Verdict: NOT ACCEPTED${failed ? `: ${failed.reasonCode ?? failed.name}` : ': some checks could not be made (see SKIP)'}`),
  );
  return lines.join('\n');
}

/** A token-supplied value for the terminal: JSON, control characters escaped. */
function printable(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  return (JSON.stringify(value) ?? String(value)).replace(/[\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
