import { describe, expect, it } from 'vitest';
import { EventBridgeSim } from '../../../sim/eventbridge.ts';
import { kindsFor, RateFaults, scenarioSeed } from '../../../sim/fault-rate.ts';
import type { LambdaSim } from '../../../sim/lambda.ts';
import type { Deployment } from '../../../sim/template.ts';
import { SimWorld } from '../../../sim/world.ts';

/**
 * The fault-rate suite's injector: faults drawn per call at a rate from a seed. The same seed and the same calls
 * give the same faults; over many calls the share of faulted calls is the rate; reads never get a fault after
 * apply; only a deployed function's calls are faulted.
 */

const CALLS: [string, string][] = [
  ['drs', 'DescribeRecoveryInstances'],
  ['drs', 'ReverseReplication'],
  ['dynamodb', 'PutItem'],
  ['dynamodb', 'GetItem'],
  ['eventbridge', 'PutEvents'],
  ['sns', 'Publish'],
  ['backup', 'StartRestoreJob'],
  ['s3', 'DeleteObject'],
  ['ec2', 'TerminateInstances'],
];

function drawMany(faults: RateFaults, count: number) {
  return Array.from({ length: count }, (_, index) => {
    const [service, operation] = CALLS[index % CALLS.length] as [string, string];
    const fault = faults.draw(service, operation);
    return fault ? `${index} ${service}:${operation} ${fault.error}${fault.afterApply ? ' after' : ''}` : '';
  }).filter(Boolean);
}

describe('faults at a rate', () => {
  it('draws the same faults from the same seed, and others from another', () => {
    // Act
    const first = drawMany(new RateFaults(0.2, 7), 500);
    const again = drawMany(new RateFaults(0.2, 7), 500);
    const other = drawMany(new RateFaults(0.2, 8), 500);

    // Assess
    expect(first).toEqual(again);
    expect(first).not.toEqual(other);
    expect(first.length).toBeGreaterThan(0);
  });

  it.each([0.05, 0.2, 0.5])('faults a share of the calls close to the rate (%s)', (rate) => {
    // Prepare
    const faults = new RateFaults(rate, 14);

    // Act
    drawMany(faults, 20_000);

    // Assess
    expect(faults.asked).toBe(20_000);
    expect(Math.abs(faults.injected.length / faults.asked - rate)).toBeLessThan(0.01);
  });

  it('injects every kind, reads only before apply, partial failures only into PutEvents', () => {
    // Prepare
    const faults = new RateFaults(0.5, 3);

    // Act
    drawMany(faults, 20_000);

    // Assess
    const kinds = faults.byKind();
    for (const count of Object.values(kinds)) expect(count).toBeGreaterThan(0);
    const reads = faults.injected.filter((fault) => /^(Describe|Get)/.test(fault.operation));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((fault) => ['throttle', 'error-before', 'hang-before'].includes(fault.kind))).toBe(
      true,
    );
    expect(
      faults.injected
        .filter((fault) => fault.kind === 'partial-put-events')
        .every((fault) => fault.operation === 'PutEvents'),
    ).toBe(true);
    expect(kindsFor('sts', 'GetCallerIdentity')).toEqual([]);
  });

  it('throttles with the Retry-After of DRS and AWS Backup, and answers DynamoDB with its own codes', () => {
    // Prepare
    const faults = new RateFaults(1, 5, '2');

    // Act
    const drawn = Array.from({ length: 400 }, (_, index) =>
      index % 2 === 0 ? faults.draw('drs', 'ReverseReplication') : faults.draw('dynamodb', 'PutItem'),
    );

    // Assess
    const drsThrottles = drawn.filter(
      (fault) => fault?.service === 'drs' && fault.error === 'ThrottlingException',
    );
    expect(drsThrottles.length).toBeGreaterThan(0);
    expect(drsThrottles.every((fault) => fault?.retryAfterSeconds === '2')).toBe(true);
    const dynamo = new Set(
      drawn.filter((fault) => fault?.service === 'dynamodb').map((fault) => fault?.error),
    );
    expect([...dynamo].sort()).toEqual([
      'InternalServerError',
      'ProvisionedThroughputExceededException',
      'RequestTimeout',
      'ThrottlingException',
    ]);
  });

  it('faults only the calls a deployed function makes, not the scenario’s own', () => {
    // Prepare
    const world = new SimWorld();
    world.faultSource = new RateFaults(1, 1);

    // Act
    const outside = world.takeFault('drs', 'ReverseReplication', 'us-west-2');
    world.invocation = {
      functionName: 'reverseReplication',
      eventId: 'e-1',
      attempt: 1,
      region: 'us-west-2',
    };
    const inside = world.takeFault('drs', 'ReverseReplication', 'us-west-2');

    // Assess
    expect(outside).toBeUndefined();
    expect(inside).toBeDefined();
  });

  it('gives each scenario its own stream from the run’s seed', () => {
    expect(scenarioSeed(1, 'failover')).toBe(scenarioSeed(1, 'failover'));
    expect(scenarioSeed(1, 'failover')).not.toBe(scenarioSeed(1, 'drill'));
    expect(scenarioSeed(1, 'failover')).not.toBe(scenarioSeed(2, 'failover'));
  });

  it('fails the PutEvents entries a partial failure names, and reports how many', async () => {
    // Prepare
    const world = new SimWorld();
    const deployment = { region: 'us-west-2', buses: [{ name: 'bus' }], rules: [] } as unknown as Deployment;
    const bridge = new EventBridgeSim(world, deployment, {} as LambdaSim);
    world.faults.push({
      service: 'eventbridge',
      operation: 'PutEvents',
      error: 'PartialFailure',
      times: 1,
      failEntries: [1, 2],
    });
    const entries = Array.from({ length: 3 }, (_, index) => ({
      EventBusName: 'bus',
      Source: 'dr-autopilot',
      DetailType: 'Test Signal',
      Detail: JSON.stringify({ index }),
    }));

    // Act
    const response = await bridge.handle({
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: { 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: entries }),
    });

    // Assess
    const body = JSON.parse(response.body ?? '{}') as {
      FailedEntryCount: number;
      Entries: { ErrorCode?: string }[];
    };
    expect(body.FailedEntryCount).toBe(2);
    expect(body.Entries.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'InternalFailure',
      'InternalFailure',
    ]);
    expect(bridge.events).toHaveLength(1);
  });
});
