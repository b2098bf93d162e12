import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createFailbackDeclarationStore } from '../src/adapters/failback-store.ts';
import { parseIsoDuration } from '../src/domain/duration.ts';
import { declarationValid } from '../src/domain/reverse-replication.ts';
import { clientConfig, type Env, type Io, runAsProcess, UsageError } from './cli-env.ts';
import { recordPersonEvidence } from './cli-evidence.ts';

/**
 * `npm run failback -- declare --workload <name> [--for PT12H] [--note "…"]`: a person declares that the
 * coming failback of a workload is real (not a drill), so that dr-autopilot re-protects the failed-back
 * instances (step 3 of the DRS failback procedure) when `reverseFailbackInstances` is on. DRS data cannot
 * tell a failback drill from a real failback: without a declaration, nothing is re-protected.
 * `npm run failback -- list` shows the declarations; `npm run failback -- revoke --workload <name>` removes one.
 *
 * Run it against the **primary** Region's deployment (where the failback launch happens and its Launch Result
 * arrives): READINESS_TABLE_NAME of that stack, AWS_REGION the primary Region. Who declared is the caller's
 * identity (STS GetCallerIdentity), recorded with the time and the expiry.
 */
const HELP = `usage:
  npm run failback -- declare --workload NAME [--for DURATION] [--note TEXT]
  npm run failback -- list
  npm run failback -- revoke --workload NAME
environment: READINESS_TABLE_NAME (the primary Region stack's readiness table), AWS_REGION (the primary Region)
--for: how long the declaration holds, ISO-8601 (default PT12H, at most P7D): declare shortly before launching`;

const MAX_VALIDITY_SECONDS = 7 * 86_400;

export async function runFailback(argv: string[], env: Env, io: Io, now = () => new Date()): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workload: { type: 'string' },
      for: { type: 'string', default: 'PT12H' },
      note: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    io.out(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  const tableName = env.READINESS_TABLE_NAME;
  if (!tableName) {
    throw new UsageError(
      'READINESS_TABLE_NAME is not set: export the readiness table of the primary Region stack (its ReadinessTable resource)',
    );
  }
  if (!env.AWS_REGION && !env.AWS_DEFAULT_REGION)
    throw new UsageError('AWS_REGION is not set: the primary Region');
  const dynamodb = new DynamoDBClient(clientConfig(env, 'DYNAMODB'));
  try {
    const store = createFailbackDeclarationStore({ client: dynamodb, tableName });
    if (command === 'list') {
      const declarations = await store.list();
      if (values.json) io.out(`${JSON.stringify(declarations, null, 2)}\n`);
      else if (declarations.length === 0) io.out('No failback declarations.\n');
      else {
        for (const declaration of declarations) {
          const state = declarationValid(declaration, now()) ? 'valid' : 'expired';
          io.out(
            `${declaration.workload}: declared by ${declaration.declaredBy} at ${declaration.declaredAt}, ${state} until ${declaration.expiresAt}${declaration.note ? ` (${declaration.note})` : ''}\n`,
          );
        }
      }
      return 0;
    }
    const workload = values.workload?.trim();
    if (!workload) throw new UsageError(`--workload is required for ${command}`);
    if (command === 'revoke') {
      await store.revoke(workload);
      io.out(
        `Failback declaration for ${workload} revoked: its failback instances will not be re-protected.\n`,
      );
      return 0;
    }
    if (command !== 'declare') throw new UsageError(`unknown command "${command}"; try --help`);
    const seconds = parseIsoDuration(values.for);
    if (seconds === undefined || seconds <= 0 || seconds > MAX_VALIDITY_SECONDS) {
      throw new UsageError(
        `--for "${values.for}" must be an ISO-8601 duration from PT1M to P7D, such as PT12H`,
      );
    }
    const sts = new STSClient(clientConfig(env, 'STS'));
    let declaredBy: string;
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      declaredBy = identity.Arn ?? 'unknown caller';
    } finally {
      sts.destroy();
    }
    const at = now();
    const declaration = {
      workload,
      declaredBy,
      declaredAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + seconds * 1000).toISOString(),
      ...(values.note ? { note: values.note.slice(0, 500) } : {}),
    };
    await store.put(declaration);
    const recorded = await recordPersonEvidence(env, undefined, [
      {
        id: `declaration#${workload}#${declaration.declaredAt}`,
        kind: 'declaration',
        workload,
        occurredAt: declaration.declaredAt,
        result: 'succeeded',
        summary:
          `failback of ${workload} declared real by ${declaredBy}, valid until ${declaration.expiresAt}${declaration.note ? ` (${declaration.note})` : ''}`.slice(
            0,
            500,
          ),
        subject: {
          type: 'workload',
          id: workload,
          region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'unknown',
          account: env.AWS_ACCOUNT_ID ?? accountOf(declaredBy),
        },
        trigger: 'person',
        correlationId: `person:${declaredBy}`,
        timings: {},
        details: { declaredBy, expiresAt: declaration.expiresAt, note: declaration.note ?? null },
        recordedAt: at.toISOString(),
        recordedBy: 'npm run failback',
      },
    ]);
    if (!values.json) io.err(recorded);
    io.out(
      values.json
        ? `${JSON.stringify(declaration, null, 2)}\n`
        : `Failback of ${workload} declared real by ${declaredBy}, valid until ${declaration.expiresAt}.\nLaunch for failback now: with reverseFailbackInstances on, dr-autopilot re-protects the failed-back instances.\n`,
    );
    return 0;
  } finally {
    dynamodb.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runAsProcess('failback', runFailback);

/** The account of an IAM ARN (`arn:aws:sts::111122223333:assumed-role/…`), or `unknown`. */
function accountOf(arn: string): string {
  return /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? 'unknown';
}
