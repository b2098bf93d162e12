import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSignalEvent } from '../../events/dr-autopilot/signal.ts';
import { type DoubleRequest, startAwsDouble } from '../helpers/aws-http-double.ts';
import { lambdaContext } from '../helpers/context.ts';
import { createIdempotencyTable, startDynalite } from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { loadSample } from '../helpers/events.ts';
import type { AlarmSample } from '../helpers/readiness-fixtures.ts';

/**
 * The real alarm-readiness handler: middy chain, Powertools idempotency on dynalite, the real EventBridge
 * client pointed at a local double (AWS_ENDPOINT_URL_EVENTBRIDGE).
 */
let doubles: Awaited<ReturnType<typeof startAwsDouble>>;
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
let putEvents: DoubleRequest[] = [];
const context = () =>
  lambdaContext({ functionName: 'dr-autopilot-test-alarmReadiness', region: 'us-west-2' });

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  doubles = await startAwsDouble({
    PutEvents: (request) => {
      putEvents.push(request);
      const entries = (request.body.Entries as unknown[]) ?? [];
      return {
        body: { FailedEntryCount: 0, Entries: entries.map((_, index) => ({ EventId: `e-${index}` })) },
      };
    },
  });
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_EVENTBRIDGE: doubles.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-alarmReadiness',
    ALARM_NAME_PREFIX: 'dr-autopilot',
  });
  ({ handler } = (await import('../../functions/alarm-readiness.ts')) as unknown as {
    handler: typeof handler;
  });
});

afterAll(async () => {
  await doubles?.close();
  await dynamo?.close();
});

beforeEach(() => {
  putEvents = [];
});

/**
 * An AWS sample event, in `origin` (default: this deployment's account and Region), renamed into scope; the
 * alarm's ARN names the same account and Region, as CloudWatch's does.
 */
function alarmEvent(
  name: string,
  id: string,
  alarmName = 'dr-autopilot:payments:s3-replication-latency',
  origin = { account: '111122223333', region: 'us-west-2' },
) {
  const event = loadSample<AlarmSample>('cloudwatch', name);
  Object.assign(event, { id, ...origin });
  event.detail.alarmName = alarmName;
  event.resources = [`arn:aws:cloudwatch:${origin.region}:${origin.account}:alarm:${alarmName}`];
  return event;
}

describe('alarm-readiness handler', () => {
  it.each([
    'alarm-state-change.single-metric',
    'alarm-state-change.metric-math',
    'alarm-state-change.anomaly-detection',
  ])('puts one readiness signal on the dr-autopilot bus for %s', async (name) => {
    // Act
    const outcome = await handler(alarmEvent(name, `alarm-${name}`), context());
    // Assess
    expect(outcome).toMatchObject({ action: 'signal-published', workload: 'payments', state: 'AT_RISK' });
    expect(putEvents).toHaveLength(1);
    const [entry] = (putEvents[0]?.body.Entries ?? []) as Record<string, string>[];
    expect(entry).toMatchObject({
      EventBusName: 'dr-autopilot-test',
      Source: 'dr-autopilot',
      DetailType: 'Alarm State Changed',
    });
    const signal = parseSignalEvent({
      version: '0',
      id: 'x',
      'detail-type': entry?.DetailType,
      source: entry?.Source,
      account: '111122223333',
      time: '2026-11-22T10:00:00Z',
      region: 'us-west-2',
      resources: [],
      detail: JSON.parse(entry?.Detail ?? '{}'),
    });
    expect(signal.detail.resource).toMatchObject({
      type: 'alarm',
      id: 'dr-autopilot:payments:s3-replication-latency',
    });
  });

  it('puts one signal for an alarm event delivered twice', async () => {
    // Prepare
    const event = alarmEvent('alarm-state-change.single-metric', 'alarm-duplicate-1');
    // Act
    const first = await handler(event, context());
    const second = await handler(structuredClone(event), context());
    // Assess
    expect(second).toEqual(first);
    expect(putEvents).toHaveLength(1);
  });

  it.each([
    ['account', { account: '444455556666', region: 'us-west-2' }],
    ['Region', { account: '111122223333', region: 'eu-west-1' }],
  ])('rejects an alarm event from another %s and puts nothing', async (_what, origin) => {
    // Prepare
    const event = alarmEvent(
      'alarm-state-change.single-metric',
      `alarm-foreign-${_what}`,
      'dr-autopilot:payments:s3-replication-latency',
      origin,
    );
    // Act
    const invocation = handler(event, context());
    // Assess
    await expect(invocation).rejects.toThrow(/accepts events only from/);
    expect(putEvents).toEqual([]);
  });

  it('puts nothing for an alarm outside the prefix', async () => {
    // Act
    const outcome = await handler(
      alarmEvent('alarm-state-change.single-metric', 'alarm-out', 'ServerCpuTooHigh'),
      context(),
    );
    // Assess
    expect(outcome).toMatchObject({ action: 'skipped', reason: 'out-of-scope' });
    expect(putEvents).toEqual([]);
  });

  it('rejects a malformed alarm event, naming the field, and puts nothing', async () => {
    // Prepare
    const event = alarmEvent('alarm-state-change.single-metric', 'alarm-bad');
    delete event.detail.state;
    // Act
    const invocation = handler(event, context());
    // Assess
    await expect(invocation).rejects.toThrow(/detail\.state/);
    expect(putEvents).toEqual([]);
  });
});
