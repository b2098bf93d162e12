import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaSim } from '../../../sim/lambda.ts';
import type { SimFunction } from '../../../sim/template.ts';
import { SimWorld } from '../../../sim/world.ts';

/**
 * Functions read their configuration at cold start and Node caches ES modules by URL, so each Region's Lambda
 * runtime must import its own instances of the function modules and of the project modules they import: one
 * Region's configuration, clients or module state must never leak into the other's.
 */
function probe(region: string): SimFunction {
  return {
    logicalId: 'ProbeLambdaFunction',
    functionName: 'dr-autopilot-sim-probe',
    shortName: 'probe',
    handler: 'test/unit/sim/fixtures/region-probe.handler',
    modulePath: fileURLToPath(new URL('./fixtures/region-probe.ts', import.meta.url)),
    exportName: 'handler',
    environment: {
      READINESS_TABLE_NAME: 'dr-autopilot-sim-readiness',
      TOPIC_ARN: `arn:aws:sns:${region}:111122223333:dr-autopilot-sim-readiness`,
    },
    timeoutSeconds: 3,
    memoryMb: 128,
    maximumRetryAttempts: 2,
  };
}

const world = new SimWorld();
const runtimes = ['us-east-1', 'us-west-2'].map(
  (region) => new LambdaSim(world, [probe(region)], {}, { region }),
);

afterAll(async () => {
  for (const runtime of runtimes) await runtime.unload();
});

describe('a Lambda runtime per Region', () => {
  it("gives each Region's function its own module instance, configured for that Region at cold start", async () => {
    // Act: both cold starts first, then an invocation in each
    for (const runtime of runtimes) await runtime.load();
    const results = [];
    for (const runtime of runtimes) results.push(await runtime.invoke('ProbeLambdaFunction', {}));
    const [east, west] = results;

    // Assess
    expect(east?.outcome).toEqual({
      coldStart: {
        region: 'us-east-1',
        table: 'dr-autopilot-sim-readiness',
        topic: 'arn:aws:sns:us-east-1:111122223333:dr-autopilot-sim-readiness',
        sharedImports: 1,
      },
      invokedIn: 'us-east-1',
    });
    expect(west?.outcome).toEqual({
      coldStart: {
        region: 'us-west-2',
        table: 'dr-autopilot-sim-readiness',
        topic: 'arn:aws:sns:us-west-2:111122223333:dr-autopilot-sim-readiness',
        sharedImports: 1,
      },
      invokedIn: 'us-west-2',
    });
  });

  it('sets the Region in the environment and the invoked-function ARN', () => {
    // Act
    const environments = runtimes.map((runtime) => runtime.environmentOf(probe(runtime.region)));

    // Assess
    expect(environments.map((env) => [env.AWS_REGION, env.AWS_DEFAULT_REGION])).toEqual([
      ['us-east-1', 'us-east-1'],
      ['us-west-2', 'us-west-2'],
    ]);
  });
});
