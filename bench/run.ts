import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundleBench, writeBundleSummary } from './bundle.ts';

/**
 * `npm run bench`: every benchmark, printed as figures and ratios and written to bench/results/latest.json.
 * `npm run bench -- cost` (or `--only cost`, or several names) runs only those; the results of the others
 * already in latest.json are kept, each with the date it ran. Nothing here asserts on time; compare runs on
 * the same machine.
 */
const ROOT = new URL('../', import.meta.url).pathname;
// The SDK warns that releases after early 2027 need Node 22; the figures are what matter here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = process.argv.slice(2);
const only = [
  ...args.filter((arg) => !arg.startsWith('--')),
  ...args.filter((arg) => arg.startsWith('--only=')).flatMap((arg) => arg.slice('--only='.length).split(',')),
];
const functionFilter = args
  .find((arg) => arg.startsWith('--functions='))
  ?.slice('--functions='.length)
  .split(',');
const wanted = (name: string) => only.length === 0 || only.includes(name);

const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };
const functions = readdirSync(join(ROOT, 'functions'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((name) => !functionFilter || functionFilter.includes(name));

if (wanted('bundle')) {
  results.bundle = await runBundleBench(functions, Number(process.env.BUNDLE_RUNS ?? 15));
  // Only a run of every function speaks for the README.
  if (!functionFilter) {
    writeBundleSummary(
      join(ROOT, 'README.md'),
      results.bundle as Record<string, unknown>,
      String(results.date),
    );
    console.log('README.md: bundle summary regenerated');
  }
  type Spread = { median: number; p25: number; p75: number };
  type Figures = {
    bytes: number;
    coldImportMs: Spread;
    floor?: { bytes: number; coldImportMs: Spread };
    baselineColdImportMs?: Spread;
    coldImportRatio?: number;
    floorSizeRatio?: number;
    floorColdImportRatio?: number;
  };
  const ms = (spread: Spread) => `${spread.median} (${spread.p25}–${spread.p75})`;
  console.log(
    '\n# bundle size and cold import: function, its SDK floor, the baseline (interleaved fresh processes; median, middle half)',
  );
  console.table(
    Object.fromEntries(
      Object.entries(results.bundle as Record<string, Figures>).map(([name, figures]) => [
        name,
        {
          KB: Math.round(figures.bytes / 1024),
          'floor KB': figures.floor ? Math.round(figures.floor.bytes / 1024) : '',
          'import ms': ms(figures.coldImportMs),
          'floor ms': figures.floor ? ms(figures.floor.coldImportMs) : '',
          'baseline ms': figures.baselineColdImportMs ? ms(figures.baselineColdImportMs) : '',
          '× floor size': figures.floorSizeRatio ?? '',
          '× floor import': figures.floorColdImportRatio ?? '',
          '× baseline import': figures.coldImportRatio ?? 1,
        },
      ]),
    ),
  );
}

// Benchmarks of other capabilities register here (each exports a run…Bench function returning figures).
const suites: [string, string, string][] = [
  ['readiness', './readiness.ts', 'runReadinessBench'],
  ['replication', './replication.ts', 'runReplicationBench'],
  ['cost', './cost.ts', 'runCostBench'],
  ['badinput', './badinput.ts', 'runBadInputBench'],
  ['load', './load.ts', 'runLoadBench'],
  ['faults', './faults.ts', 'runFaultsBench'],
];
for (const [name, path, exported] of suites) {
  if (!wanted(name) || !existsSync(new URL(path, import.meta.url))) continue;
  const module = (await import(path)) as Record<string, () => Promise<Record<string, unknown>>>;
  const run = module[exported];
  if (!run) throw new Error(`${path} does not export ${exported}`);
  console.log(`\n# ${name}`);
  results[name] = await run();
}

// A partial run keeps what the other benchmarks last measured; `ranAt` says when each ran.
const latest = join(ROOT, 'bench/results/latest.json');
const previous = existsSync(latest)
  ? (JSON.parse(readFileSync(latest, 'utf8')) as Record<string, unknown>)
  : {};
const previousRanAt = (previous.ranAt ?? {}) as Record<string, string>;
const ranAt = { ...previousRanAt };
for (const name of Object.keys(results)) {
  if (name !== 'node' && name !== 'date') ranAt[name] = String(results.date);
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(latest, `${JSON.stringify({ ...previous, ...results, ranAt }, null, 2)}\n`);
console.log('\nwritten to bench/results/latest.json');
