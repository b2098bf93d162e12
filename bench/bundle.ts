import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { loadDeployment, packageForSimulator, readTemplate } from '../sim/template.ts';

const ROOT = new URL('../', import.meta.url).pathname;

/** The esbuild options serverless.yml gives serverless-esbuild (custom.esbuild), so the bench builds what ships. */
function shippedEsbuildOptions() {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const config = parse(text, {
    customTags: ['!Ref', '!GetAtt', '!Sub'].map((tag) => ({ tag, resolve: (value: string) => value })),
  }) as {
    custom: {
      esbuild: {
        minify: boolean;
        target: string;
        format: 'esm';
        mainFields: string[];
        banner: { js: string };
        platform: 'node';
      };
    };
  };
  return config.custom.esbuild;
}

async function bundle(entry: string, outDir: string, name: string): Promise<string> {
  const options = shippedEsbuildOptions();
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: options.platform,
    format: options.format,
    target: options.target,
    minify: options.minify,
    mainFields: options.mainFields,
    banner: options.banner,
    logLevel: 'silent',
  });
  return outfile;
}

/** Cold import: a fresh Node process imports the bundle; measured inside the process, median of `runs`. */
function coldImportMs(
  file: string,
  env: Record<string, string>,
  runs: number,
): { median: number; min: number; max: number } {
  const script = `const t=process.hrtime.bigint();await import(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
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
    samples.push(Number(out.trim().split('\n').pop()));
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)] ?? Number.NaN,
    min: samples[0] ?? Number.NaN,
    max: samples.at(-1) ?? Number.NaN,
  };
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
 * Bundle size and cold-import time of each function beside the minimal middy + Logger baseline. Each function
 * is imported with the environment its packaged template gives it (resolved as the simulator resolves it).
 */
export async function runBundleBench(functions: string[], runs = 15): Promise<Record<string, unknown>> {
  const deployment = loadDeployment(readTemplate(await packageForSimulator()));
  const environmentOf = (name: string) =>
    deployment.functions.find((fn) => fn.handler === `functions/${name}.handler`)?.environment ?? {};
  const outDir = mkdtempSync(join(tmpdir(), 'dr-autopilot-bench-'));
  const baselineFile = await bundle('bench/fixtures/minimal-handler.ts', outDir, 'baseline');
  const baselineBytes = statSync(baselineFile).size;
  const baselineImport = coldImportMs(baselineFile, FUNCTION_ENV, runs);
  const results: Record<string, unknown> = {
    baseline: { bytes: baselineBytes, coldImportMs: baselineImport },
  };
  for (const name of functions) {
    const file = await bundle(`functions/${name}.ts`, outDir, name);
    const bytes = statSync(file).size;
    const imported = coldImportMs(file, { ...FUNCTION_ENV, ...environmentOf(name) }, runs);
    results[name] = {
      bytes,
      coldImportMs: imported,
      sizeRatio: Number((bytes / baselineBytes).toFixed(2)),
      coldImportRatio: Number((imported.median / baselineImport.median).toFixed(2)),
    };
  }
  execFileSync('rm', ['-rf', outDir]);
  return results;
}
