import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { installSimClock } from '../../../sim/clock.ts';
import { startDynaliteServer } from '../../../sim/dynamo.ts';
import { hungResponse, type SimServer, startHttpServer } from '../../../sim/http.ts';
import { LambdaSim } from '../../../sim/lambda.ts';
import type { SimFunction } from '../../../sim/template.ts';
import { SimWorld } from '../../../sim/world.ts';
import { DYNAMODB_REQUEST_TIMEOUT_MS } from '../../../src/runtime/dynamodb-client.ts';

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

/** A function that lists DynamoDB tables with the DynamoDB client every function uses. */
const dynamoProbe: SimFunction = {
  ...probe,
  logicalId: 'DynamoProbeLambdaFunction',
  functionName: 'dr-autopilot-sim-dynamo-probe',
  shortName: 'dynamoProbe',
  handler: 'test/unit/sim/fixtures/dynamodb-probe.handler',
  modulePath: fileURLToPath(new URL('./fixtures/dynamodb-probe.ts', import.meta.url)),
  environment: {},
};

const world = new SimWorld();
const runtime = new LambdaSim(world, [probe, dynamoProbe], {});
let server: SimServer | undefined;
let database: Awaited<ReturnType<typeof startDynaliteServer>> | undefined;

afterAll(async () => {
  await server?.close();
  await database?.close();
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

  it("is given up by a function's DynamoDB client after its request timeout, and retried: the invocation goes on", async () => {
    // Prepare: the first DynamoDB call of the invocation hangs
    installSimClock();
    let draws = 0;
    world.faultSource = {
      draw: (service) =>
        service === 'dynamodb' && draws++ === 0
          ? { service, operation: 'ListTables', error: 'RequestTimeout', times: 1, hang: true }
          : undefined,
    };
    database = await startDynaliteServer({
      faults: (operation) => world.takeFault('dynamodb', operation),
      onHang: () => world.hang(),
    });
    Object.assign(dynamoProbe.environment, {
      AWS_ENDPOINT_URL_DYNAMODB: database.endpoint,
      AWS_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'sim',
      AWS_SECRET_ACCESS_KEY: 'sim',
    });
    await runtime.load();
    const started = Date.now();

    // Act: as EventBridge's delivery runs it (faults are drawn only for a function's calls)
    world.invocation = { functionName: 'dynamoProbe', eventId: 'e-1', attempt: 1, region: 'us-west-2' };
    const result = await runtime.invoke('DynamoProbeLambdaFunction', {}).finally(() => {
      world.invocation = undefined;
    });

    // Assess: one give-up (the client's timeout passed on the clock), one retry that answered
    expect(result.error).toBeUndefined();
    expect(result.outcome).toEqual({ attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(DYNAMODB_REQUEST_TIMEOUT_MS);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
