/**
 * One benchmark server under the profiler, loaded as the HTTP table loads it:
 *
 *   npx tsx bench/profile-server.ts <express|fastify|koa> <variant> [seconds]
 *
 * prints the server's requests/s and CPU µs per request, then the functions with the most self
 * time in the server process (the .cpuprofile stays in the directory it names, for DevTools).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ServerProcess } from './lib/child.js';
import { BenchIssuer } from './lib/issuer.js';
import { AUDIENCE } from './lib/keys.js';
import { summarizeProfile } from './profile.js';
import type { Framework, Variant } from './http/apps.js';

const framework = (process.argv[2] ?? 'express') as Framework;
const variant = (process.argv[3] ?? 'ours') as Variant;
const seconds = Number(process.argv[4] ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'atg-profile-'));
const issuer = await BenchIssuer.start(['RS256']);
const tokens = variant === 'ours-cache' ? [issuer.mint(0)] : issuer.mintMany(1000);
const server = await ServerProcess.start(
  { framework, variant, issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, jwk: issuer.key().jwk },
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
);
const requests = tokens.map((token) => ({ method: 'GET', path: '/hello', headers: { authorization: `Bearer ${token}` } }));
await autocannon({ url: `http://127.0.0.1:${server.port}`, connections: 50, duration: 2, requests });
const before = await server.cpuMicros();
const result = await autocannon({ url: `http://127.0.0.1:${server.port}`, connections: 50, duration: seconds, requests });
const cpu = (await server.cpuMicros()) - before;
console.log(`${framework}/${variant}: ${(result['2xx'] / result.duration).toFixed(0)} req/s, ${(cpu / result['2xx']).toFixed(0)} CPU µs/req, ${result.non2xx} non-2xx`);
await server.close();
await issuer.close();
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (file) {
  console.log(`profile: ${join(dir, file)}`);
  summarizeProfile(join(dir, file), 35);
}
