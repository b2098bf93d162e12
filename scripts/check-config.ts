import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';
import {
  type CheckProblem,
  checkService,
  formatProblem,
  InvalidParamError,
  type ResolvedService,
  readLayout,
  resolveService,
} from './config-check.ts';

/**
 * `npm run check-config -- --stage prod --region eu-west-1 --param=defaultRpo=PT10M …`: checks a deployment's
 * configuration before deploying it, with the code every function runs at cold start. The same options as
 * `osls deploy` (other options are ignored). One line per problem and exit 1, or a one-line summary and exit 0.
 * Nothing is deployed, written or called.
 *
 * `--resolved FILE` (`-`: standard input) checks the configuration osls resolved instead (the JSON the
 * `osls package` plugin, infra/plugins/check-config.cjs, hands over).
 */
const HELP = `usage: npm run check-config -- [--stage STAGE] [--region REGION] [--param='name=value']...
  Checks every function's configuration for that deployment before you deploy it (docs/configuration.md).`;

export async function runCheckConfig(argv: string[], _env: Env, io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stage: { type: 'string', short: 's' },
      region: { type: 'string', short: 'r' },
      param: { type: 'string', multiple: true },
      resolved: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  for (const name of ['stage', 'region', 'resolved'] as const) {
    if (values[name] !== undefined && typeof values[name] !== 'string')
      throw new UsageError(`--${name} needs a value`);
  }
  const params = (values.param ?? []).filter((item): item is string => typeof item === 'string');
  const layout = readLayout();
  let resolved: ResolvedService;
  try {
    resolved =
      typeof values.resolved === 'string'
        ? (JSON.parse(readFileSync(values.resolved === '-' ? 0 : values.resolved, 'utf8')) as ResolvedService)
        : resolveService(layout, {
            stage: values.stage as string | undefined,
            region: values.region as string | undefined,
            cliParams: params,
          });
  } catch (error) {
    if (error instanceof InvalidParamError) throw new UsageError(error.message);
    throw error;
  }
  const problems: CheckProblem[] = checkService(resolved, layout);
  const deployment = `stage ${resolved.stage}, region ${resolved.region}`;
  if (problems.length > 0) {
    io.err(
      `dr-autopilot configuration (${deployment}): ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing deployed\n${problems
        .map((problem) => `  ✗ ${formatProblem(problem)}\n`)
        .join('')}`,
    );
    return 1;
  }
  const set = [...new Set(resolved.cliParams.map((item) => item.split('=')[0]))];
  io.out(
    `dr-autopilot configuration OK (${deployment}): ${Object.keys(resolved.functions).length} functions start with these settings${set.length > 0 ? `; set by --param: ${set.join(', ')}` : ''}\n`,
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) runAsProcess('check-config', runCheckConfig);
