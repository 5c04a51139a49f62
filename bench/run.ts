/**
 * `npm run bench` — every comparison of issue 4 in one run, printed as Markdown tables.
 *
 *   npm run bench                      full run (about 10–15 minutes on 2 cores)
 *   npm run bench -- --quick           tiny rounds; checks every decision (CI), under 2 minutes
 *   npm run bench -- --only=core,http  some sections only (core, cache, http, jwks, memory, coldstart, gateway, footprint;
 *                                      and introspection, which only runs when named)
 *   npm run bench -- --out=file.md     also write the report to a file
 *   npm run bench -- --only=http --frameworks=hono,nestjs   the HTTP table for some frameworks only
 *
 * Exits with 1 if any verifier made a wrong decision or a section failed. Times never fail a run.
 */
import { writeFileSync } from 'node:fs';
import { load, machine } from './lib/machine.js';
import { renderTable, renderTargets } from './lib/stats.js';
import { FULL, OPTIONAL_SECTIONS, QUICK, SECTIONS, runSuite, type SectionName, type SectionReport } from './suite.js';
import { VARIANTS, type Framework } from './http/apps.js';

const args = process.argv.slice(2);
const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.includes('--quick');
const only = option('only')?.split(',') as SectionName[] | undefined;
const known: readonly string[] = [...SECTIONS, ...OPTIONAL_SECTIONS];
const unknown = only?.filter((name) => !known.includes(name));
if (unknown?.length) {
  console.error(`unknown section(s) ${unknown.join(', ')}; choose from ${known.join(', ')}`);
  process.exit(2);
}

const out: string[] = [];
const print = (text: string) => {
  out.push(text);
  console.log(text);
};

print(`# access-token-guard benchmarks (${quick ? 'quick mode: figures are not meaningful' : 'full run'})\n`);
print(`${machine()}\nLoad average at start: ${load()}\nStarted ${new Date().toISOString()}\n`);

const frameworks = option('frameworks')?.split(',') as Framework[] | undefined;
const unknownFrameworks = frameworks?.filter((name) => !(name in VARIANTS));
if (unknownFrameworks?.length) {
  console.error(`unknown framework(s) ${unknownFrameworks.join(', ')}; choose from ${Object.keys(VARIANTS).join(', ')}`);
  process.exit(2);
}
const settings = quick ? QUICK : FULL;
const reports = await runSuite(frameworks ? { ...settings, http: { ...settings.http, frameworks } } : settings, only ?? SECTIONS, (report: SectionReport) => {
  print(`## ${report.name} (${report.seconds.toFixed(0)} s, load average ${report.load[0]} → ${report.load[1]})\n`);
  for (const table of report.tables) print(renderTable(table));
  for (const problem of report.wrong) print(`WRONG: ${problem}`);
});

const targets = reports.flatMap((report) => report.targets);
// Quick rounds are too short for their figures to say anything about the targets.
if (targets.length > 0 && !quick) print(renderTargets(targets));
const wrong = reports.flatMap((report) => report.wrong);
print(wrong.length === 0 ? 'Every decision was right: no valid token refused, no bad token accepted, no error.' : `${wrong.length} WRONG decision(s) or failures (listed above).`);

const file = option('out');
if (file) writeFileSync(file, `${out.join('\n')}\n`);
process.exit(wrong.length === 0 ? 0 : 1);
