/**
 * README code blocks are compiled where a consumer's code is: consumer.ts, type-checked against
 * the built package by consumer-typing.test.ts. This keeps the README's sections on issuers and
 * consumer.ts in step: every TypeScript block there must appear in consumer.ts as written (its
 * `import` lines aside, which consumer.ts has once, at the top).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SECTIONS: Array<[from: string, to: string]> = [['## Several issuers', '## Errors: what the client sees']];

async function blocks(): Promise<string[]> {
  const readme = await readFile(resolve(ROOT, 'README.md'), 'utf8');
  return SECTIONS.flatMap(([from, to]) => {
    const start = readme.indexOf(from);
    const end = readme.indexOf(to, start);
    expect(start, `README has a section "${from}"`).toBeGreaterThanOrEqual(0);
    return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => (match[1] as string).replace(/^import .*\n\n?/gm, ''));
  });
}

describe('README blocks on issuers', () => {
  it('each appear in consumer.ts, which is compiled against the built package', async () => {
    const consumer = await readFile(resolve(import.meta.dirname, 'consumer.ts'), 'utf8');
    const found = await blocks();
    expect(found.length).toBeGreaterThanOrEqual(8);
    for (const block of found) expect(consumer, block).toContain(block);
  });
});
