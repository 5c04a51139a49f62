/**
 * CI's run of the benchmarks (`npm run bench -- --quick`, through its functions): every table
 * is produced with tiny rounds, and every decision made along the way must be right — no valid
 * token refused, no forged, expired, foreign or malformed one accepted, no error, no JWKS fetch
 * beyond the rules. Times are never asserted: they mean nothing on a shared CI machine.
 *
 * Also here: the fast paths the benchmarks measure (header cache, synchronous signature check,
 * reused decode buffer), held to the same decisions as the slow paths they short-cut.
 */
import { describe, expect, it } from 'vitest';
import { createVerifier } from '../src/index.js';
import { createVerifierWith } from '../src/verifier.js';
import { webCrypto } from '../src/crypto/web.js';
import { isGuardError } from '../src/errors.js';
import { QUICK, SECTIONS, runSuite } from '../bench/suite.js';
import { AUDIENCE, DEFAULT_ISSUER, generateKey, mint, tamper, type BenchAlg } from '../bench/lib/keys.js';

describe('npm run bench -- --quick', () => {
  it('produces every table with every decision right', async () => {
    const timed = SECTIONS.filter((name) => name !== 'footprint');
    const reports = await runSuite(QUICK, timed);
    expect(reports.map((report) => report.name)).toEqual(['core', 'cache', 'http', 'jwks', 'memory', 'coldstart', 'gateway']);
    expect(reports.flatMap((report) => report.wrong)).toEqual([]);
    for (const report of reports) expect(report.tables.length, `${report.name} printed no table`).toBeGreaterThan(0);
    // Five frameworks' HTTP servers (a Nest app takes seconds to start on a loaded 2-core machine).
  }, 300_000);

  // Its own test: it builds the published package (declarations included) before measuring.
  it('produces the footprint tables (bundles, cold import, install size) with every import working', async () => {
    const [report] = await runSuite(QUICK, ['footprint']);
    expect(report!.wrong).toEqual([]);
    expect(report!.tables.map((table) => table.rows.length)).toEqual([5, 5, 4]);
  }, 240_000);

  it('runs the optional introspection section with every decision right', async () => {
    const [report] = await runSuite(QUICK, ['introspection']);
    expect(report?.wrong).toEqual([]);
    expect(report?.tables.length).toBeGreaterThan(0);
  }, 120_000);
});

async function refused(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(isGuardError(error)).toBe(true);
    return (error as { reason?: string }).reason ?? '';
  }
  throw new Error('the token was accepted');
}

describe('fast paths measured by the benchmarks', () => {
  for (const [backendName, make] of [
    ['node', createVerifier],
    ['webcrypto', (options: Parameters<typeof createVerifier>[0]) => createVerifierWith(webCrypto, options)],
  ] as const) {
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as BenchAlg[]) {
      it(`${backendName} ${alg}: a header already seen on a good token does not make a forgery pass`, async () => {
        const key = generateKey(alg);
        const verifier = make({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, algorithms: [alg], keys: { keys: [key.jwk] } });
        const first = mint(key, 1);
        await verifier.verify(first);
        // Same header segment (now remembered), forged signature, then a payload swapped under a good signature.
        expect(await refused(verifier.verify(tamper(mint(key, 2))))).toMatch(/signature does not verify/);
        const [header, , signature] = first.split('.');
        const otherPayload = mint(key, 3).split('.')[1];
        expect(await refused(verifier.verify(`${header}.${otherPayload}.${signature}`))).toMatch(/signature does not verify/);
        // And the good ones keep passing, many times over.
        for (let n = 4; n < 8; n++) await expect(verifier.verify(mint(key, n))).resolves.toMatchObject({ header: { alg, kid: key.kid } });
      });
    }
  }

  it('gives every result its own header: changing one does not change the next', async () => {
    const key = generateKey('RS256');
    const verifier = createVerifier({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } });
    const first = await verifier.verify(mint(key, 1));
    const second = await verifier.verify(mint(key, 2));
    expect(second.header).not.toBe(first.header);
    second.header.kid = 'changed';
    const third = await verifier.verify(mint(key, 3));
    expect(third.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: key.kid });
  });

  it('never remembers the header of a refused token', async () => {
    const key = generateKey('RS256');
    const verifier = createVerifier({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] } });
    const forged = tamper(mint(key, 1));
    for (let i = 0; i < 3; i++) expect(await refused(verifier.verify(forged))).toMatch(/signature does not verify/);
    // A header that names a critical extension is refused every time, cached or not.
    const crit = mint(key, 2).split('.');
    const critHeader = Buffer.from(JSON.stringify({ alg: 'RS256', kid: key.kid, crit: ['exp'] })).toString('base64url');
    for (let i = 0; i < 2; i++) expect(await refused(verifier.verify(`${critHeader}.${crit[1]}.${crit[2]}`))).toMatch(/critical/);
  });

  it('decodes claims the same through the reused buffer and past its size (UTF-8, 12 KB claims)', async () => {
    const key = generateKey('EdDSA');
    const verifier = createVerifier({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], keys: { keys: [key.jwk] } });
    const name = 'Zoë 🚀 Ωmega — 名前';
    for (const filler of [0, 100, 8_000, 8_200, 11_500]) {
      const claims = { name, filler: 'x'.repeat(filler) };
      const result = await verifier.verify(mint(key, filler, { claims }));
      expect(result.claims).toMatchObject(claims);
    }
  });

  it('switches keys correctly when tokens alternate between two kids (rotation)', async () => {
    const [a, b] = [generateKey('RS256', 'key-a'), generateKey('RS256', 'key-b')];
    const verifier = createVerifier({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, keys: { keys: [a.jwk, b.jwk] } });
    for (let n = 0; n < 6; n++) {
      const key = n % 2 ? b : a;
      await expect(verifier.verify(mint(key, n))).resolves.toMatchObject({ header: { kid: key.kid } });
      // A token signed by one key but naming the other is refused whichever key was used last.
      const wrongKid = mint(key, n, { kid: (n % 2 ? a : b).kid });
      expect(await refused(verifier.verify(wrongKid))).toMatch(/signature does not verify/);
    }
  });
});
