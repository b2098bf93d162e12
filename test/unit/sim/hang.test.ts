import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { installSimClock } from '../../../sim/clock.ts';
import { hungResponse, type SimServer, startHttpServer } from '../../../sim/http.ts';
import { LambdaSim } from '../../../sim/lambda.ts';
import type { SimFunction } from '../../../sim/template.ts';
import { SimWorld } from '../../../sim/world.ts';

/**
 * A hung call (the fault-rate suite's hang): the answer never comes, so Lambda times the invocation out. Its
 * execution environment is gone: the handler code it abandoned can never reach a service afterwards, even when
 * the connection it was waiting on is closed and it goes on.
 */
const probe: SimFunction = {
  logicalId: 'HangProbeLambdaFunction',
  functionName: 'dr-autopilot-sim-hang-probe',
  shortName: 'hangProbe',
  handler: 'test/unit/sim/fixtures/hang-probe.handler',
  modulePath: fileURLToPath(new URL('./fixtures/hang-probe.ts', import.meta.url)),
  exportName: 'handler',
  environment: {},
  timeoutSeconds: 30,
  memoryMb: 128,
  maximumRetryAttempts: 2,
};

const world = new SimWorld();
const runtime = new LambdaSim(world, [probe], {});
let server: SimServer | undefined;

afterAll(async () => {
  await server?.close();
  await runtime.unload();
});

describe('a call whose answer never comes', () => {
  it('times the invocation out at once, and its abandoned code reaches no service afterwards', async () => {
    // Prepare
    installSimClock();
    const paths: string[] = [];
    server = await startHttpServer(
      (request) => {
        paths.push(request.path);
        return request.path === '/first' ? hungResponse() : { status: 200, body: 'ok' };
      },
      { onHang: () => world.hang() },
    );
    await runtime.load();
    const started = Date.now();

    // Act
    const result = await runtime.invoke('HangProbeLambdaFunction', { url: server.url });
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(result.error?.errorType).toBe('Sandbox.Timedout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(30_000);
    expect(paths).toEqual(['/first']);
  });
});
