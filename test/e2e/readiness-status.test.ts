import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySignal } from '../../src/app/readiness.ts';
import { startDynalite } from '../helpers/dynalite.ts';
import { minute, readinessDeps, signalEvent } from '../helpers/readiness-fixtures.ts';

/** `npm run status` as on-call runs it (tsx scripts/status.ts), against dynalite through the SDK's endpoint setting. */
const ROOT = new URL('../../', import.meta.url).pathname;
let dynalite: Awaited<ReturnType<typeof startDynalite>>;
let tableName: string;

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
});
afterAll(async () => {
  await dynalite.close();
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

describe('npm run status', () => {
  it('prints every workload and resource with state, since and evidence, worst first', async () => {
    // Act
    const { stdout } = await status([]);
    // Assess
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^WORKLOAD\s+STATE\s+SINCE\s+RESOURCE\s+EVIDENCE/);
    expect(lines[2]).toMatch(/^payments\s+NOT READY\s+2026-11-22T10:00:00\s+2 resource\(s\)/);
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

  it('explains a missing table name', async () => {
    // Act
    const run = status([], { READINESS_TABLE_NAME: '' });
    // Assess
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('READINESS_TABLE_NAME is not set'),
    });
  });
});
