import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { loadDeployment, packageForSimulator, readTemplate } from '../sim/template.ts';
import { replaceBetween } from './markers.ts';
import { shippedEsbuildOptions } from './shipped-build.ts';

const ROOT = new URL('../', import.meta.url).pathname;

/** Bundles `entry` as the deployment does; returns the file and the AWS SDK client packages it holds. */
async function bundle(
  entry: string,
  outDir: string,
  name: string,
): Promise<{ file: string; clients: string[] }> {
  const outfile = join(outDir, `${name}.mjs`);
  const result = await build({
    ...shippedEsbuildOptions(),
    entryPoints: [join(ROOT, entry)],
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  // What the output holds (an input esbuild read but shook out entirely adds no bytes).
  const output = Object.values(result.metafile.outputs)[0];
  const held = Object.entries(output?.inputs ?? {}).filter(([, input]) => input.bytesInOutput > 0);
  return { file: outfile, clients: sdkClientsOf(held.map(([path]) => path)) };
}

/** The top-level `@aws-sdk/client-*` and `lib-dynamodb` packages among a bundle's inputs (not nested copies). */
export function sdkClientsOf(inputs: string[]): string[] {
  const clients = new Set<string>();
  for (const input of inputs) {
    const packages = [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((match) => match[1]);
    const [first] = packages;
    if (packages.length === 1 && first && /^@aws-sdk\/(client-|lib-dynamodb$)/.test(first))
      clients.add(first);
  }
  return [...clients].sort();
}

export interface Spread {
  median: number;
  /** The middle half of the samples: 25th and 75th percentiles. */
  p25: number;
  p75: number;
  min: number;
  max: number;
  runs: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

export function spreadOf(samples: number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number) => Number(value.toFixed(1));
  return {
    median: round(percentile(sorted, 0.5)),
    p25: round(percentile(sorted, 0.25)),
    p75: round(percentile(sorted, 0.75)),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted.at(-1) ?? Number.NaN),
    runs: sorted.length,
  };
}

/** One cold import: a fresh Node process imports the bundle; the time is measured inside the process. */
function coldImportMs(file: string, env: Record<string, string>): number {
  const script = `const t=process.hrtime.bigint();await import(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  let out: string;
  try {
    out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '')
      .split('\n')
      .filter((line) => line.length < 400 && /Error/.test(line))
      .slice(0, 3)
      .join(' | ');
    throw new Error(`importing ${file} failed: ${stderr.slice(0, 500)}`);
  }
  return Number(out.trim().split('\n').pop());
}

const FUNCTION_ENV = {
  AWS_REGION: 'us-west-2',
  PRIMARY_REGION: 'us-east-1',
  RECOVERY_REGION: 'us-west-2',
  MODE: 'active',
  DEFAULT_RPO: 'PT15M',
  DEFAULT_RTO: 'PT4H',
  TOPIC_ARN: 'arn:aws:sns:us-west-2:111122223333:bench',
  EVENT_BUS_NAME: 'bench',
  READINESS_TABLE_NAME: 'bench',
  IDEMPOTENCY_TABLE_NAME: 'bench',
  EVIDENCE_TABLE_NAME: 'bench',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Bundle size and cold-import time of each function beside the minimal middy + Logger baseline and beside the
 * function's SDK floor (bench/fixtures/floors/<function>.ts: the baseline plus the same SDK clients). For each
 * function the three bundles are imported in turn, `runs` rounds, the order rotating every round, so machine
 * load falls on all three alike; medians with the middle half and the extremes. Each function is imported
 * with the environment its packaged template gives it (resolved as the simulator resolves it).
 */
export async function runBundleBench(functions: string[], runs = 15): Promise<Record<string, unknown>> {
  const deployment = loadDeployment(readTemplate(await packageForSimulator()));
  const environmentOf = (name: string) =>
    deployment.functions.find((fn) => fn.handler === `functions/${name}.handler`)?.environment ?? {};
  const outDir = mkdtempSync(join(tmpdir(), 'dr-autopilot-bench-'));
  const baseline = await bundle('bench/fixtures/minimal-handler.ts', outDir, 'baseline');
  const baselineBytes = statSync(baseline.file).size;
  const baselineSamples: number[] = [];
  const figures: Record<string, unknown> = {};
  for (const name of functions) {
    const fn = await bundle(`functions/${name}.ts`, outDir, name);
    const floor = await bundle(`bench/fixtures/floors/${name}.ts`, outDir, `${name}.floor`);
    if (fn.clients.join() !== floor.clients.join()) {
      throw new Error(
        `bench/fixtures/floors/${name}.ts bundles ${floor.clients.join(', ') || 'no client'} but the function bundles ${fn.clients.join(', ') || 'no client'}: make the floor import the same clients`,
      );
    }
    const env = { ...FUNCTION_ENV, ...environmentOf(name) };
    const samples: Record<'baseline' | 'floor' | 'function', number[]> = {
      baseline: [],
      floor: [],
      function: [],
    };
    const order = [
      ['baseline', baseline.file],
      ['floor', floor.file],
      ['function', fn.file],
    ] as const;
    for (let round = 0; round < runs; round++) {
      for (let step = 0; step < order.length; step++) {
        const [kind, file] = order[(round + step) % order.length] ?? order[0];
        samples[kind].push(coldImportMs(file, env));
      }
    }
    baselineSamples.push(...samples.baseline);
    const bytes = statSync(fn.file).size;
    const floorBytes = statSync(floor.file).size;
    const imported = spreadOf(samples.function);
    const floorImported = spreadOf(samples.floor);
    const baselineImported = spreadOf(samples.baseline);
    figures[name] = {
      bytes,
      coldImportMs: imported,
      clients: fn.clients,
      floor: { bytes: floorBytes, coldImportMs: floorImported },
      baselineColdImportMs: baselineImported,
      sizeRatio: Number((bytes / baselineBytes).toFixed(2)),
      coldImportRatio: Number((imported.median / baselineImported.median).toFixed(2)),
      floorSizeRatio: Number((bytes / floorBytes).toFixed(2)),
      floorColdImportRatio: Number((imported.median / floorImported.median).toFixed(2)),
    };
  }
  execFileSync('rm', ['-rf', outDir]);
  return { baseline: { bytes: baselineBytes, coldImportMs: spreadOf(baselineSamples) }, ...figures };
}

const README_BEGIN = '<!-- bundle-summary:begin (generated by npm run bench -- bundle) -->';
const README_END = '<!-- bundle-summary:end -->';

interface BundleFigures {
  bytes: number;
  coldImportMs: { median: number; runs?: number };
  floor?: { bytes: number; coldImportMs: { median: number } };
  coldImportRatio?: number;
  floorSizeRatio?: number;
  floorColdImportRatio?: number;
}

/**
 * The README's summary of a bundle run (every function): size and cold import per function against its SDK floor
 * and the baseline, and how many meet issue 13's goal of at most 1.3× the floor's cold import.
 */
export function bundleSummary(results: Record<string, unknown>, ranOn: string): string {
  const rows = Object.entries(results as Record<string, BundleFigures>).filter(
    ([name]) => name !== 'baseline',
  );
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
  const runs = rows[0]?.[1].coldImportMs.runs;
  const over = rows.filter(([, figures]) => (figures.floorColdImportRatio ?? 0) > 1.3).map(([name]) => name);
  return [
    `Run of ${ranOn.slice(0, 10)} (\`npm run bench -- bundle\`; medians of ${runs ?? 'several'} interleaved fresh-process imports`,
    'each; the floor is a minimal handler constructing the same SDK clients, the baseline one with middy and Logger',
    'only; ratios move by up to about 0.1 between runs):',
    '',
    '| function | bundle | × its floor (size) | cold import | × its floor | × baseline |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      ([name, figures]) =>
        `| ${name} | ${kb(figures.bytes)} | ${figures.floorSizeRatio ?? '–'} | ${Math.round(figures.coldImportMs.median)} ms | ${figures.floorColdImportRatio ?? '–'} | ${figures.coldImportRatio ?? '–'} |`,
    ),
    '',
    over.length === 0
      ? `Every function imports in at most 1.3× its floor's time in this run.`
      : `${rows.length - over.length} of ${rows.length} functions import in at most 1.3× their floor's time in this run; ${over.join(' and ')} ${over.length === 1 ? 'does' : 'do'} not ([why](docs/benchmarks.md)).`,
  ].join('\n');
}

/** Rewrites the README's generated bundle summary (between its markers). */
export function writeBundleSummary(
  readmePath: string,
  results: Record<string, unknown>,
  ranOn: string,
): void {
  const text = readFileSync(readmePath, 'utf8');
  writeFileSync(readmePath, replaceBetween(text, README_BEGIN, README_END, bundleSummary(results, ranOn)));
}
