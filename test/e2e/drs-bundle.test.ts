import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedEsbuildOptions } from '../../bench/shipped-build.ts';
import { awsError, type DoubleResponse, startAwsDouble } from '../helpers/aws-http-double.ts';
import { lambdaContext } from '../helpers/context.ts';
import { createEvidenceTable, createIdempotencyTable, startDynalite } from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { loadSample, type SampleEvent } from '../helpers/events.ts';

/**
 * The reverse-replication function as it ships: bundled with serverless.yml's esbuild options and plugins, in
 * which the pinned DRS client (3.523.0) runs on the project's single, current copy of the SDK runtime
 * (credential chain, signer, HTTP handler) instead of its own. The bundle is imported in this process and
 * talks to an AWS double through AWS_ENDPOINT_URL_<SERVICE>: its DRS requests must be signed for `drs`, its
 * answers parsed, a throttled call retried. Also what the bundle holds: one
 * copy of each SDK package, zod/mini (no classic API, no locale), no Powertools parser.
 */
const SOURCE_SERVER = 's-12345678901234567';
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const JOB = 'drsjob-04ca7d0d3fb6afa3e';
const REVERSED = 'arn:aws:drs:us-east-1:111122223333:source-server/s-abcdefabcdefabcde';

const state = { throttles: 0, reversals: 0, reversedArn: undefined as string | undefined };
let outDir: string;
let metafile: Metafile;
let doubles: Awaited<ReturnType<typeof startAwsDouble>>;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'dr-autopilot-drs-bundle-'));
  const outfile = join(outDir, 'reverse-replication.mjs');
  ({ metafile } = await build({
    ...shippedEsbuildOptions(),
    entryPoints: [join(import.meta.dirname, '../../functions/reverse-replication.ts')],
    outfile,
    metafile: true,
    logLevel: 'silent',
  }));
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  await createEvidenceTable(dynamo.client, 'evidence');
  doubles = await startAwsDouble({
    DescribeJobs: () => ({
      body: {
        items: [
          {
            jobID: JOB,
            type: 'LAUNCH',
            initiatedBy: 'START_RECOVERY',
            status: 'COMPLETED',
            participatingServers: [
              { sourceServerID: SOURCE_SERVER, recoveryInstanceID: INSTANCE, launchStatus: 'LAUNCHED' },
            ],
          },
        ],
      },
    }),
    DescribeSourceServers: () => ({
      body: {
        items: [
          {
            sourceServerID: SOURCE_SERVER,
            arn: `arn:aws:drs:us-west-2:111122223333:source-server/${SOURCE_SERVER}`,
            tags: { 'dr-autopilot:workload': 'payments' },
            replicationDirection: 'FAILOVER',
            sourceCloudProperties: { originRegion: 'us-east-1', originAccountID: '111122223333' },
            ...(state.reversedArn ? { reversedDirectionSourceServerArn: state.reversedArn } : {}),
          },
        ],
      },
    }),
    DescribeRecoveryInstances: () => ({
      body: {
        items: [
          {
            recoveryInstanceID: INSTANCE,
            sourceServerID: SOURCE_SERVER,
            jobID: JOB,
            isDrill: false,
            originEnvironment: 'AWS',
            dataReplicationInfo: { dataReplicationState: state.reversedArn ? 'INITIATING' : 'NOT_STARTED' },
          },
        ],
      },
    }),
    ReverseReplication: (request): DoubleResponse => {
      if (state.throttles > 0) {
        state.throttles -= 1;
        return awsError(429, 'ThrottlingException', 'Rate exceeded', { 'Retry-After': '1' });
      }
      expect(request.body).toEqual({ recoveryInstanceID: INSTANCE });
      state.reversals += 1;
      state.reversedArn = REVERSED;
      return { body: { reversedDirectionSourceServerArn: REVERSED } };
    },
    PutEvents: (request) => {
      const entries = (request.body.Entries as unknown[]) ?? [];
      return {
        body: { FailedEntryCount: 0, Entries: entries.map((_, index) => ({ EventId: `evt-${index}` })) },
      };
    },
  });
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_DRS: doubles.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: doubles.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-reverseReplication',
    AWS_MAX_ATTEMPTS: '3',
  });
  ({ handler } = (await import(outfile)) as { handler: typeof handler });
}, 120_000);

afterAll(async () => {
  await doubles?.close();
  await dynamo?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** The files the bundle holds: inputs esbuild read and kept bytes of (not those it shook out entirely). */
function heldInputs(): string[] {
  const output = Object.values(metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

/** The packages (by node_modules path) whose files the bundle holds. */
function bundledPackages(): string[] {
  return heldInputs()
    .map((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
    .filter((path): path is string => path !== undefined);
}

describe('the shipped reverse-replication bundle', () => {
  it('holds one copy of each SDK package: none from a nested node_modules', () => {
    const nested = [
      ...new Set(
        bundledPackages().filter((path) => /node_modules\/.+\/node_modules\/@(aws-sdk|smithy)\//.test(path)),
      ),
    ];
    expect(nested).toEqual([]);
    expect(bundledPackages().some((path) => path.endsWith('node_modules/@aws-sdk/client-drs'))).toBe(true);
  });

  it('holds zod/mini without the classic API or any locale, and not the Powertools parser', () => {
    const inputs = heldInputs();
    const zod = inputs.filter((input) => /node_modules\/zod\//.test(input));
    expect(zod.some((input) => input.includes('/zod/v4/mini/'))).toBe(true);
    expect(zod.filter((input) => /\/zod\/(v4\/)?(classic|locales)\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.includes('@aws-lambda-powertools/parser'))).toEqual([]);
  });

  it('reverses replication through DRS with signed requests, retrying a throttled call', async () => {
    state.throttles = 1;
    const event = loadSample<SampleEvent>('drs', 'source-server-launch-result.recovery-launch-succeeded');
    event.id = 'bundle-1';

    const outcome = await handler(
      event,
      lambdaContext({ functionName: 'dr-autopilot-test-reverseReplication' }),
    );

    expect(outcome).toMatchObject({ action: 'reverse-replication-started', recoveryInstanceIds: [INSTANCE] });
    expect(state.reversals).toBe(1);
    expect(doubles.count('ReverseReplication')).toBe(2);
    const drsRequests = doubles.requests.filter((request) =>
      ['DescribeJobs', 'DescribeSourceServers', 'DescribeRecoveryInstances', 'ReverseReplication'].includes(
        request.operation,
      ),
    );
    expect(drsRequests.length).toBeGreaterThan(0);
    for (const request of drsRequests) {
      expect(String(request.headers.authorization)).toMatch(
        /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-west-2\/drs\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
      );
    }
  });
});
