/**
 * `npx access-token-guard serve --config guard.json` as a new user runs it: the package built and
 * packed (`npm pack`), installed from the tarball into an empty project, and the command started
 * there. It listens, decides, logs JSON, stops on SIGTERM with exit code 0, and refuses a bad
 * configuration with the field named and exit code 1.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { build as tsup } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startIssuer, verifierConfig, type Issuer } from '../helpers/gateway.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work: string;
let project: string;
let issuer: Issuer;

beforeAll(async () => {
  issuer = await startIssuer();
  work = await mkdtemp(join(tmpdir(), 'atg-serve-'));
  // The package as `files` publishes it, built by the real tsup config.
  const pkg = join(work, 'package');
  await mkdir(pkg);
  for (const entry of ['package.json', 'bin', 'schema', 'README.md', 'CHANGELOG.md']) await cp(join(ROOT, entry), join(pkg, entry), { recursive: true });
  await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir: join(pkg, 'dist'), sourcemap: false, silent: true });
  const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: pkg });
  const tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);

  project = join(work, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'gateway-user', private: true }));
  await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, timeout: 180_000 });
}, 300_000);

afterAll(async () => {
  await issuer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Starts `npx access-token-guard serve --config <file>` in the project, or the installed command
 * itself (`direct`, as a container's entry point runs it: npx stands between the signal and the
 * service); lines of stdout, all of stderr.
 */
function serve(file: string, direct = false): { child: ChildProcess; lines: string[]; stderr: () => string; exited: Promise<number | null> } {
  const [command, args] = direct
    ? [join(project, 'node_modules/.bin/access-token-guard'), ['serve', '--config', file]]
    : ['npx', ['--no-install', 'access-token-guard', 'serve', '--config', file]];
  // A process group of its own, so `stop` ends the service too and not only npx above it.
  const child = spawn(command, args, { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

/** Kills the service and whatever started it (npx leaves its child running when killed alone). */
function stop(service: { child: ChildProcess }): void {
  try {
    process.kill(-service.child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('serve from the installed package', () => {
  const config = (jwksUri?: string) =>
    JSON.stringify({
      $schema: './node_modules/access-token-guard/schema/guard.schema.json',
      listen: { host: '127.0.0.1', port: 0 },
      gateway: 'traefik',
      verifier: verifierConfig(issuer, jwksUri ? { jwksUri } : {}),
      routes: [{ path: '/admin/*', scopes: ['admin'] }],
    });
  const listeningUrl = (service: ReturnType<typeof serve>) =>
    waitFor(() => service.lines.map((line) => JSON.parse(line) as { msg: string; url?: string }).find((line) => line.msg === 'listening')?.url, 'the listening line');
  const ask = (url: string, uri: string) =>
    fetch(`${url}/auth`, { headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': uri, authorization: `Bearer ${issuer.token()}` } });

  it('listens, decides with the identity headers and logs each decision as JSON', async () => {
    await writeFile(join(project, 'guard.json'), config());
    const service = serve('guard.json');
    try {
      const url = await listeningUrl(service);
      const allowed = await ask(url, '/orders');
      const refused = await ask(url, '/admin/users');
      expect([allowed.status, allowed.headers.get('x-auth-subject'), refused.status]).toEqual([200, 'auth0|user-1', 403]);
      const decisions = await waitFor(() => {
        const found = service.lines.filter((line) => line.includes('"msg":"decision"'));
        return found.length === 2 ? found : undefined;
      }, 'two decision lines');
      expect(JSON.parse(decisions[1]!)).toMatchObject({ status: 403, code: 'insufficient_scope', route: 'routes[0] * /admin/*' });
      // The schema the configuration's $schema names is in the installed package.
      expect(JSON.parse(await readFile(join(project, 'node_modules/access-token-guard/schema/guard.schema.json'), 'utf8'))).toMatchObject({ title: 'access-token-guard gateway configuration' });
    } finally {
      stop(service);
    }
  }, 60_000);

  it('on SIGTERM answers the request in flight, then exits with code 0', async () => {
    // The first decision waits 500 ms for the key set: SIGTERM arrives meanwhile.
    issuer.jwks.route('/slow-jwks', { delayMs: 500, json: issuer.keySet });
    await writeFile(join(project, 'slow.json'), config(issuer.jwks.url('/slow-jwks')));
    const service = serve('slow.json', true);
    try {
      const url = await listeningUrl(service);
      const inFlight = ask(url, '/orders');
      await new Promise((resolve) => setTimeout(resolve, 100));
      service.child.kill('SIGTERM');
      expect((await inFlight).status).toBe(200);
      expect(await service.exited).toBe(0);
    } finally {
      stop(service);
    }
  }, 60_000);

  it('refuses a bad configuration with the field named and exit code 1', async () => {
    await writeFile(join(project, 'bad.json'), JSON.stringify({ listen: { port: 0 }, gateway: 'nginx', verifier: { issuer: 'https://x/', audience: 'a', jwks: { timeout: 'soon' } } }));
    const service = serve('bad.json');
    expect(await service.exited).toBe(1);
    expect(service.stderr()).toContain('access-token-guard: configuration: `verifier.jwks.timeout` must be a number');
  }, 60_000);
});
