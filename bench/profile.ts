/**
 * The hot path under the profiler: our verifier (node backend, uncached) in a loop over distinct
 * tokens, nothing else.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts [alg] [seconds]
 *   npx tsx bench/profile.ts --summarize /tmp/prof/<file>.cpuprofile
 *
 * The summary lists self time per function, so the share left to `verifyOneShot` (OpenSSL) is
 * the fraction of the floor we reach, and every other line is overhead to hunt.
 */
import { readFileSync } from 'node:fs';
import { createVerifier } from '../src/index.js';
import { AUDIENCE, DEFAULT_ISSUER, generateKey, mintMany, type BenchAlg } from './lib/keys.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per function, largest first (the profile includes start-up: read past it). */
export function summarizeProfile(file: string, top = 40): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = (nodes.get(id) as ProfileNode).callFrame;
    const name = `${functionName || '(anonymous)'}  ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((count / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
}

const main = process.argv[1]?.endsWith('profile.ts');
if (main && process.argv[2] === '--summarize') {
  summarizeProfile(process.argv[3] as string);
} else if (main) {
  const alg = (process.argv[2] ?? 'RS256') as BenchAlg;
  const seconds = Number(process.argv[3] ?? 10);
  const key = generateKey(alg);
  const tokens = mintMany(key, 1000);
  const verifier = createVerifier({ issuer: DEFAULT_ISSUER, audience: AUDIENCE, algorithms: [alg], keys: { keys: [key.jwk] } });
  const end = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < end) {
    for (const token of tokens) await verifier.verify(token);
    count += tokens.length;
  }
  console.log(`${count} verifications in ${seconds} s`);
}
