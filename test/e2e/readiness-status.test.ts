import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/cli-env.ts';
import { runStatus } from '../../scripts/status.ts';
import { applySignal } from '../../src/app/readiness.ts';
import { startDynalite } from '../helpers/dynalite.ts';
import { minute, readinessDeps, signalEvent } from '../helpers/readiness-fixtures.ts';

/** `npm run status` as on-call runs it (tsx scripts/status.ts), against dynalite through the SDK's endpoint setting. */
const ROOT = new URL('../../', import.meta.url).pathname;
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let tableName: string;
/** CloudFormation's DescribeStacks (query protocol), as a local double the SDK reaches through its endpoint setting. */
let cloudFormation: Server;
let cloudFormationUrl: string;
const stackRequests: { body: URLSearchParams; authorization: string }[] = [];

beforeAll(async () => {
  dynalite = await startDynalite();
  const setup = await readinessDeps(dynalite.client);
  tableName = setup.tableName;
  await applySignal(
    signalEvent({ workload: 'payments', state: 'NOT_READY', resourceId: 's-00000000000000001' }),
    setup.deps,
  );
  await applySignal(
    signalEvent({ workload: 'payments', state: 'READY', resourceId: 's-00000000000000002' }),
    setup.deps,
  );
  await applySignal(signalEvent({ workload: 'orders', state: 'READY', observedAt: minute(1) }), setup.deps);
  cloudFormation = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = new URLSearchParams(text);
      stackRequests.push({ body, authorization: String(request.headers.authorization ?? '') });
      response.setHeader('content-type', 'text/xml');
      if (body.get('StackName') !== 'dr-autopilot-prod') {
        response.statusCode = 400;
        response.end(
          `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${body.get('StackName')} does not exist</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        );
        return;
      }
      // The pair's two stacks: us-east-1 (primary) keeps no readiness and says where it is kept
      const primary = String(request.headers.authorization).includes('/us-east-1/');
      const outputs = {
        EvidenceTableName: 'evidence-x',
        ReadinessTableName: primary ? 'primary-working-state' : tableName,
        ReadinessRegion: 'us-west-2',
      };
      response.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>dr-autopilot-prod</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime><Outputs>${Object.entries(
          outputs,
        )
          .map(
            ([key, value]) =>
              `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
          )
          .join(
            '',
          )}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
  cloudFormationUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dynalite.close();
  await new Promise((resolve) => cloudFormation.close(resolve));
});

function status(args: string[], env: Record<string, string | undefined> = {}) {
  return promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/status.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_REGION: 'us-west-2',
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      READINESS_TABLE_NAME: tableName,
      ...env,
    },
  });
}

/** The same tool in-process (no process start), for the cases that need no process-level check. */
async function statusInProcess(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text) };
  const baseEnv = {
    ...process.env,
    AWS_REGION: 'us-west-2',
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    READINESS_TABLE_NAME: tableName,
    ...env,
  };
  try {
    const code = await runStatus(args, baseEnv, io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout: out.join(''), stderr: error.message };
    throw error;
  }
}

describe('npm run status', () => {
  it('prints every workload and resource with state, since and evidence, worst first', async () => {
    // Act
    const { stdout, stderr } = await status([]);
    // Assess
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(
      `dr-autopilot readiness: table ${tableName} in us-west-2 (from READINESS_TABLE_NAME), read ${lines[0]?.slice(-24)}`,
    );
    expect(lines[2]).toMatch(/^WORKLOAD\s+STATE\s+SINCE\s+RESOURCE\s+EVIDENCE/);
    expect(lines[4]).toMatch(/^payments\s+NOT READY\s+2026-11-22T10:00:00\s+2 resource\(s\)/);
    // Nothing else is printed: the SDK's Node-version notice would land in the middle of the table.
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /NOT READY\s+2026-11-22T10:00:00\s+drs-source-server s-00000000000000001\s+s-00000000000000001 is not ready/,
    );
    expect(stdout).toMatch(/^orders\s+READY/m);
  });

  it('prints JSON for machines, filtered by workload', async () => {
    // Act
    const { stdout } = await status(['--json', '--workload', 'orders']);
    // Assess
    expect(JSON.parse(stdout)).toMatchObject({
      workloads: [
        {
          workload: 'orders',
          state: 'READY',
          resources: [{ state: 'READY', resource: { id: 's-12345678901234567' } }],
        },
      ],
    });
  });

  it('finds the readiness table in the stage stack outputs of the Region asked', async () => {
    // Act
    const { stdout } = await status(['--stage', 'prod', '--region', 'us-west-2', '--workload', 'orders'], {
      READINESS_TABLE_NAME: '',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationUrl,
    });
    // Assess
    expect(stdout).toContain(`table ${tableName} in us-west-2 (from stack dr-autopilot-prod)`);
    expect(stdout).toMatch(/^orders\s+READY/m);
    const request = stackRequests.at(-1);
    expect(request?.body.get('Action')).toBe('DescribeStacks');
    expect(request?.authorization).toContain('/us-west-2/cloudformation/aws4_request');
  });

  it("follows the primary Region's stack to the recovery Region, which keeps the pair's readiness", async () => {
    // Act
    const { stdout } = await status(['--stage', 'prod', '--region', 'us-east-1', '--workload', 'orders'], {
      READINESS_TABLE_NAME: '',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationUrl,
    });
    // Assess: both stacks read, the recovery Region's table shown, and the header says why
    expect(stdout).toContain(
      `table ${tableName} in us-west-2 (from stack dr-autopilot-prod; the Region pair's readiness is kept here, not in us-east-1)`,
    );
    expect(stdout).toMatch(/^orders\s+READY/m);
    expect(
      stackRequests.slice(-2).map((request) => /\/(us-[a-z]+-\d)\//.exec(request.authorization)?.[1]),
    ).toEqual(['us-east-1', 'us-west-2']);
  });

  it.each([
    {
      name: 'no stage and no table name',
      args: [],
      env: { READINESS_TABLE_NAME: '' },
      message: 'no deployment named: pass --stage',
    },
    {
      name: 'no Region',
      args: ['--stage', 'prod'],
      env: { READINESS_TABLE_NAME: '', AWS_REGION: '', AWS_DEFAULT_REGION: '' },
      message: 'no Region: pass --region',
    },
    {
      name: 'a stage never deployed there',
      args: ['--stage', 'nope', '--region', 'us-west-2'],
      env: { READINESS_TABLE_NAME: '' },
      message:
        'stack dr-autopilot-nope not found in us-west-2: check --stage (nope) and --region (us-west-2)',
    },
    {
      name: 'history without a workload',
      args: ['--history'],
      env: {},
      message: '--history needs --workload NAME',
    },
  ])('explains $name (exit 2)', async ({ args, env, message }) => {
    // Act
    const run = await statusInProcess(args, { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationUrl, ...env });
    // Assess
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
  });

  it('names the known workloads when asked for an unknown one (exit 1)', async () => {
    // Act
    const run = await statusInProcess(['--workload', 'ghost']);
    // Assess
    expect(run).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        `no workload named ghost in ${tableName} (us-west-2); known: orders, payments`,
      ),
    });
  });

  it('prints a workload history, oldest first: signals, resource and workload transitions', async () => {
    // Act
    const { stdout } = await statusInProcess(['--workload', 'payments', '--history', '--since', 'P3650D']);
    // Assess
    const lines = stdout.trim().split('\n').slice(2);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.some((line) => / workload {4}payments {2}new → NOT_READY/.test(line))).toBe(true);
    expect(
      lines.some((line) => / signal {6}drs-source-server#s-00000000000000001 {2}NOT_READY/.test(line)),
    ).toBe(true);
    const times = lines.map((line) => line.slice(0, 24));
    expect([...times].sort()).toEqual(times);
  });
});
