import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';
import { parse } from 'yaml';

const ROOT = new URL('../', import.meta.url).pathname;
const require = createRequire(import.meta.url);

/** Options of custom.esbuild that serverless-esbuild keeps to itself (its own list) rather than give esbuild. */
const PLUGIN_ONLY_OPTIONS = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
]);

/**
 * The esbuild options serverless.yml gives serverless-esbuild (custom.esbuild), as serverless-esbuild passes
 * them on: every option but its own, `external` plus `exclude`, and `plugins` loaded from the file it names.
 * So the bench and the bundle tests build what ships.
 */
export function shippedEsbuildOptions(): BuildOptions {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const config = parse(text, {
    customTags: ['!Ref', '!GetAtt', '!Sub'].map((tag) => ({ tag, resolve: (value: string) => value })),
  }) as { custom: { esbuild: Record<string, unknown> } };
  const shipped = config.custom.esbuild;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(shipped)) if (!PLUGIN_ONLY_OPTIONS.has(key)) options[key] = value;
  const exclude = (shipped.exclude as string[] | undefined) ?? [];
  options.external = [
    ...((shipped.external as string[] | undefined) ?? []),
    ...(exclude.includes('*') ? [] : exclude),
  ];
  options.plugins =
    typeof shipped.plugins === 'string'
      ? (require(join(ROOT, shipped.plugins)) as Plugin[])
      : (shipped.plugins ?? []);
  return options as BuildOptions;
}
