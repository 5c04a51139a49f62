/**
 * The typings as a consumer gets them: build the package (the real tsup config, declarations
 * included), lay it out as an installed `node_modules/access-token-guard` (its package.json and
 * dist/, as `files` publishes them), and run `tsc`, strict and with library checks on, over
 * consumer.ts (ESM) and consumer-cjs.cts (CommonJS), which import every entry by package name
 * (without decorators), and over consumer-nestjs.ts with decorators on, as Nest apps compile.
 * The project sits under the repo's node_modules/.cache so express, fastify, koa and their types
 * resolve from the repo, as they would from the consumer's own dependencies.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build as tsup } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
let project: string;

const compilerOptions = { target: 'ES2022', lib: ['ES2022', 'DOM'], types: ['node'], strict: true, noEmit: true, skipLibCheck: false };

beforeAll(async () => {
  await mkdir(join(ROOT, 'node_modules/.cache'), { recursive: true });
  project = await mkdtemp(join(ROOT, 'node_modules/.cache/atg-consumer-'));
  const installed = join(project, 'node_modules/access-token-guard');
  await mkdir(installed, { recursive: true });
  await copyFile(join(ROOT, 'package.json'), join(installed, 'package.json'));
  await tsup({ config: join(ROOT, 'tsup.config.ts'), outDir: join(installed, 'dist'), sourcemap: false, silent: true });

  for (const file of ['consumer.ts', 'consumer-cjs.cts', 'consumer-mcp.ts', 'consumer-conflict.ts', 'consumer-nestjs.ts']) {
    // Drop the `@ts-nocheck` that keeps the repo's own tsc off these files.
    const source = (await readFile(join(import.meta.dirname, file), 'utf8')).replace(/^\/\/ @ts-nocheck[^\n]*\n/, '');
    await writeFile(join(project, file), source);
  }
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await writeFile(
    join(project, 'tsconfig.nodenext.json'),
    JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext' }, files: ['consumer.ts', 'consumer-cjs.cts'] }),
  );
  const readmeFiles = await writeReadmeBlocks(project);
  await writeFile(
    join(project, 'tsconfig.readme.json'),
    JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext' }, files: ['readme-prelude.d.ts', ...readmeFiles.general] }),
  );
  // An MCP server's program: our /mcp entry with the SDK's Express parts, the MCP example as a user
  // copies it (importing the package by name) and README's MCP server blocks. It cannot share a
  // program with access-token-guard/express: both declare `req.auth` (consumer-conflict.ts).
  const example = await readFile(join(ROOT, 'examples/mcp-server.ts'), 'utf8');
  await writeFile(join(project, 'mcp-server.ts'), example.replace("'../adapters/mcp.js'", "'access-token-guard/mcp'"));
  await writeFile(
    join(project, 'tsconfig.mcp.json'),
    JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext' }, files: ['consumer-mcp.ts', 'mcp-server.ts', ...readmeFiles.mcp] }),
  );
  await writeFile(
    join(project, 'tsconfig.conflict.json'),
    JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext' }, files: ['consumer-conflict.ts'] }),
  );
  // The NestJS blocks, compiled as Nest apps are: with decorators on.
  await writeFile(
    join(project, 'tsconfig.readme-decorators.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext', experimentalDecorators: true, emitDecoratorMetadata: true },
      files: ['readme-prelude.d.ts', ...readmeFiles.decorated],
    }),
  );
  await writeFile(
    join(project, 'tsconfig.bundler.json'),
    JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'ESNext', moduleResolution: 'Bundler' }, files: ['consumer.ts'] }),
  );
  // Nest apps compile with decorators on; nothing else in the package asks for them.
  await writeFile(
    join(project, 'tsconfig.nestjs.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'NodeNext', moduleResolution: 'NodeNext', experimentalDecorators: true, emitDecoratorMetadata: true },
      files: ['consumer-nestjs.ts'],
    }),
  );
}, 300_000);

/**
 * Every ```ts block of README.md, each as a module of its own, compiled against the built package.
 * A block may use, without declaring them, the few names the prose around it gives (an Express
 * `app`, `issuer`, `audience`, a `token`…): readme-prelude.d.ts declares those and nothing else.
 */
async function writeReadmeBlocks(dir: string): Promise<{ general: string[]; mcp: string[]; decorated: string[] }> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const files = { general: [] as string[], mcp: [] as string[], decorated: [] as string[] };
  for (const match of readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = readme.slice(0, match.index).split('\n').length;
    const file = `readme-line-${line}.ts`;
    await writeFile(join(dir, file), `${match[1]}\nexport {};\n`);
    // An MCP server's blocks go in the MCP program (see above); a line that starts with `@Name(` is
    // a decorator: only Nest blocks have them.
    const block = match[1] as string;
    files[/@modelcontextprotocol\/sdk|access-token-guard\/mcp/.test(block) ? 'mcp' : /^\s*@[A-Z]\w*\(/m.test(block) ? 'decorated' : 'general'].push(file);
  }
  await copyFile(join(import.meta.dirname, 'readme-prelude.d.ts'), join(dir, 'readme-prelude.d.ts'));
  return files;
}

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

/**
 * tsc's errors in our declarations and the consumer files. Library checks stay on so our .d.ts
 * files are checked, which also checks third-party ones; their own disagreements (e.g.
 * @types/koa against content-disposition's bundled types) are not ours and are dropped.
 */
async function typecheck(config: string): Promise<string[]> {
  let output: string;
  try {
    await run(process.execPath, [TSC, '-p', join(project, config), '--pretty', 'false'], { cwd: project });
    return [];
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    output = `${stdout ?? ''}${stderr ?? ''}` || String(error);
  }
  const errors: string[] = [];
  let keep = false;
  for (const line of output.split('\n')) {
    const file = /^(.+?)\(\d+,\d+\): error /.exec(line)?.[1];
    if (file !== undefined) {
      keep = !file.startsWith('../');
      if (keep) errors.push(line);
    } else if (/^\s/.test(line)) {
      if (keep && line.trim() !== '') errors[errors.length - 1] += `\n${line}`;
    } else if (line.trim() !== '') {
      // Not a located diagnostic (a config error, a crash): always ours to see.
      keep = true;
      errors.push(line);
    }
  }
  return errors;
}

describe('consumer typings of the built package', () => {
  it('every entry point exports what the exports map promises', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './express', './fastify', './koa', './web', './lambda', './mcp', './hono', './nestjs', './package.json']);
  });

  it('compile: an MCP server with the SDK (its bearerAuth typing included), the MCP example and README MCP blocks', async () => {
    expect(await typecheck('tsconfig.mcp.json')).toEqual([]);
  }, 300_000);

  it('access-token-guard/express and the SDK bearerAuth in one program: req.auth is the SDK type, our fields gone', async () => {
    const errors = await typecheck('tsconfig.conflict.json');
    expect(errors).toEqual([expect.stringMatching(/^consumer-conflict\.ts\(\d+,\d+\): error TS2339: Property 'subject' does not exist on type 'AuthInfo'/)]);
  }, 300_000);

  it('compile: ESM and CommonJS consumers, NodeNext resolution', async () => {
    expect(await typecheck('tsconfig.nodenext.json')).toEqual([]);
  }, 300_000);

  it('compile: every TypeScript block of README.md', async () => {
    expect(await typecheck('tsconfig.readme.json')).toEqual([]);
  }, 300_000);

  it('compile: the NestJS blocks of README.md, with decorators on', async () => {
    expect(await typecheck('tsconfig.readme-decorators.json')).toEqual([]);
  }, 300_000);

  it('compile: ESM consumer, bundler resolution', async () => {
    expect(await typecheck('tsconfig.bundler.json')).toEqual([]);
  }, 300_000);

  it('compile: a NestJS consumer with decorators, as Nest apps are compiled', async () => {
    expect(await typecheck('tsconfig.nestjs.json')).toEqual([]);
  }, 300_000);
});
