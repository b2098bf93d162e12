import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { createRefreshBatches, type SignalType } from '../../events/dr-autopilot/signal.ts';
import { ForeignEventError, InvalidEventError } from '../../src/domain/errors.ts';
import { lambdaContext } from '../helpers/context.ts';
import { createIdempotencyTable, createReadinessTable, startDynalite } from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import {
  delivered,
  minute,
  type RawSignalEvent,
  rawEvent,
  scanAll,
  signalEvent,
} from '../helpers/readiness-fixtures.ts';

/**
 * The real handler (functions/readiness-publisher.ts: middy chain, the DynamoDB store
 * on dynalite through AWS_ENDPOINT_URL_DYNAMODB, the real SNS client with its `send` mocked).
 */
const sns = mockClient(SNSClient);
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
const context = () => lambdaContext({ functionName: 'dr-autopilot-test-readinessPublisher' });

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  await createReadinessTable(dynamo.client, 'readiness');
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-readinessPublisher',
    STAGE: 'prod',
  });
  ({ handler } = (await import('../../functions/readiness-publisher.ts')) as unknown as {
    handler: typeof handler;
  });
});

afterAll(async () => {
  sns.restore();
  await dynamo?.close();
});

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

describe('readiness-publisher handler', () => {
  it.each([
    {
      name: 'an unknown readiness state',
      change: (event: RawSignalEvent) => {
        event.detail.assessment = { ...event.detail.assessment, state: 'MOSTLY_FINE' };
      },
      field: 'detail.assessment.state',
    },
    {
      name: 'a missing workload',
      change: (event: RawSignalEvent) => {
        delete event.detail.workload;
      },
      field: 'detail.workload',
    },
    {
      name: 'a multi-line summary',
      change: (event: RawSignalEvent) => {
        event.detail.summary = 'line one\nline two';
      },
      field: 'detail.summary',
    },
    {
      name: 'an unknown detail-type',
      change: (event: RawSignalEvent) => {
        event['detail-type'] = 'Something Else';
      },
      field: 'detail-type',
    },
  ])(
    'rejects a signal with $name naming the field, changing nothing and publishing nothing',
    async ({ change, field }) => {
      // Prepare
      const event = rawEvent(signalEvent({ workload: 'rejected', state: 'NOT_READY' }));
      change(event);
      // Act
      const invocation = handler(event, context());
      // Assess
      await expect(invocation).rejects.toBeInstanceOf(InvalidEventError);
      await expect(invocation).rejects.toThrow(field);
      expect(
        (await scanAll(dynamo.client, 'readiness')).filter(
          (item) => item.pk?.S?.includes('rejected') || item.sk?.S === 'rejected',
        ),
      ).toEqual([]);
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    },
  );

  it.each([
    ['account', { account: '444455556666' }],
    ['Region', { region: 'eu-west-1' }],
  ])(
    'rejects a signal from another %s before writing anything, idempotency record included',
    async (_what, origin) => {
      // Prepare
      const event = { ...rawEvent(signalEvent({ workload: 'foreign', state: 'NOT_READY' })), ...origin };
      const idempotencyItems = (await scanAll(dynamo.client, 'idempotency')).length;
      // Act
      const invocation = handler(event, context());
      // Assess
      await expect(invocation).rejects.toBeInstanceOf(ForeignEventError);
      expect((await scanAll(dynamo.client, 'idempotency')).length).toBe(idempotencyItems);
      expect(
        (await scanAll(dynamo.client, 'readiness')).filter(
          (item) => item.pk?.S?.includes('foreign') || item.sk?.S === 'foreign',
        ),
      ).toEqual([]);
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    },
  );

  it('publishes a workload transition to the topic with filterable attributes', async () => {
    // Prepare
    const event = rawEvent(signalEvent({ workload: 'orders', state: 'NOT_READY', dryRun: true }));
    // Act
    const outcome = await handler(event, context());
    // Assess
    expect(outcome).toMatchObject({
      action: 'applied',
      published: [{ from: null, to: 'NOT_READY', messageId: 'message-1' }],
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: baseEnv().TOPIC_ARN,
      Subject: '[DRY-RUN] [NOT READY] prod/orders: s-12345678901234567 is not ready',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        workload: { DataType: 'String', StringValue: 'orders' },
        state: { DataType: 'String', StringValue: 'NOT_READY' },
        region: { DataType: 'String', StringValue: 'us-west-2' },
        kind: { DataType: 'String', StringValue: 'transition' },
        stage: { DataType: 'String', StringValue: 'prod' },
        dryRun: { DataType: 'String', StringValue: 'true' },
        transitionId: {
          DataType: 'String',
          StringValue: `prod/orders/t0000000001/${event.detail.observedAt}`,
        },
      },
    });
  });

  it("announces a new workload's first verdict once, as its actual state, when a failover's signals arrive together", async () => {
    // Prepare: the launch result (READY) and the reversal it started (NOT_READY), delivered at once
    const correlationId = 'failover-handler';
    const events = [
      signalEvent({
        workload: 'ledger',
        type: 'Recovery Launch Succeeded',
        resourceType: 'drs-recovery-launch',
        resourceId: 's-0e1b2c3d4e5f60001',
        state: 'READY',
        correlationId,
      }),
      signalEvent({
        workload: 'ledger',
        type: 'Reversed Replication Started',
        resourceType: 'drs-recovery-instance',
        resourceId: 'i-0e1b2c3d4e5f60001',
        state: 'NOT_READY',
        correlationId,
      }),
    ].map(rawEvent);
    // Act
    await Promise.all(events.map((event) => handler(event, context())));
    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[NOT READY] prod/ledger: i-0e1b2c3d4e5f60001 is not ready',
      MessageAttributes: expect.objectContaining({ state: { DataType: 'String', StringValue: 'NOT_READY' } }),
    });
  });

  it('recognises a redelivered event without an idempotency record, changes nothing and publishes nothing more', async () => {
    // Prepare
    const event = rawEvent(signalEvent({ workload: 'inventory', state: 'AT_RISK' }));
    const first = await handler(event, context());
    const before = await scanAll(dynamo.client, 'readiness');
    // Act
    const second = await handler(structuredClone(event), context());
    // Assess
    expect(first).toMatchObject({ action: 'applied', announced: { from: null, to: 'AT_RISK' } });
    expect(second).toMatchObject({ action: 'duplicate', signalId: first.signalId, published: [] });
    expect(await scanAll(dynamo.client, 'readiness')).toEqual(before);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(await scanAll(dynamo.client, 'idempotency')).toEqual([]);
  });

  it('folds a refresh batch through the real handler in one invocation, answering with the counts', async () => {
    // Prepare: three READY resources, then one sweep's refresh of them as the monitor batches it
    const ids = ['s-00000000000000001', 's-00000000000000002', 's-00000000000000003'];
    for (const resourceId of ids)
      await handler(
        rawEvent(signalEvent({ workload: 'batched', resourceId, observedAt: minute(0) })),
        context(),
      );
    const [batch] = createRefreshBatches(
      ids.map((resourceId) => {
        const event = signalEvent({
          workload: 'batched',
          resourceId,
          observedAt: minute(30),
          correlationId: 'sweep-30',
        });
        return { type: event['detail-type'] as SignalType, detail: event.detail };
      }),
    );
    const event = JSON.parse(JSON.stringify(delivered(batch as NonNullable<typeof batch>)));
    // Act
    const outcome = await handler(event, context());
    // Assess
    expect(outcome).toMatchObject({ action: 'refresh-batch', workload: 'batched', items: 3, confirmed: 3 });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('runs the sweep and the digest from their scheduled input', async () => {
    // Act
    const swept = await handler({ task: 'sweep' }, context());
    const digest = await handler({ task: 'digest' }, context());
    // Assess
    expect(swept).toMatchObject({ action: 'swept' });
    expect(digest).toMatchObject({ action: 'digest-sent', messageId: 'message-1' });
    // The schedule delivered twice (another request id): no second digest this hour.
    const published = sns.commandCalls(PublishCommand).length;
    expect(await handler({ task: 'digest' }, context())).toMatchObject({
      action: 'skipped',
      reason: 'already-sent',
    });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(published);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      MessageAttributes: expect.objectContaining({ kind: { DataType: 'String', StringValue: 'digest' } }),
    });
  });

  it('rejects an unknown scheduled task', async () => {
    // Act
    const invocation = handler({ task: 'reboot' }, context());
    // Assess
    await expect(invocation).rejects.toThrow(/invalid readiness task: task/);
  });
});
