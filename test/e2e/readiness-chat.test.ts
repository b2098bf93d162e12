import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import type { ChatNotification } from '../../src/domain/chat-message.ts';
import { extractJsonBlock } from '../../src/domain/sns-message.ts';
import { lambdaContext } from '../helpers/context.ts';
import { createIdempotencyTable, createReadinessTable, startDynalite } from '../helpers/dynalite.ts';
import { baseEnv } from '../helpers/env.ts';
import { rawEvent, signalEvent } from '../helpers/readiness-fixtures.ts';

/**
 * The real handler deployed with `chatNotifications=true` (CHAT_NOTIFICATIONS): one Publish per message, with the
 * text for email and the others and the chat custom notification for HTTPS subscribers.
 */
const sns = mockClient(SNSClient);
let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createIdempotencyTable(dynamo.client, 'idempotency');
  await createReadinessTable(dynamo.client, 'readiness');
  Object.assign(process.env, baseEnv(), {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'dr-autopilot-test-readinessPublisher',
    STAGE: 'prod',
    CHAT_NOTIFICATIONS: 'true',
  });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  ({ handler } = (await import('../../functions/readiness-publisher.ts')) as unknown as {
    handler: typeof handler;
  });
});

afterAll(async () => {
  sns.restore();
  delete process.env.CHAT_NOTIFICATIONS;
  await dynamo?.close();
});

describe('readiness-publisher handler with chat notifications', () => {
  it('publishes each transition once, with a body per protocol', async () => {
    // Act
    await handler(
      rawEvent(signalEvent({ workload: 'orders', state: 'NOT_READY' })),
      lambdaContext({ functionName: 'dr-autopilot-test-readinessPublisher' }),
    );
    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const [call] = sns.commandCalls(PublishCommand);
    const input = call?.args[0].input;
    expect(input).toMatchObject({
      Subject: '[NOT READY] prod/orders: s-12345678901234567 is not ready',
      MessageStructure: 'json',
      MessageAttributes: expect.objectContaining({ state: { DataType: 'String', StringValue: 'NOT_READY' } }),
    });
    const bodies = JSON.parse(input?.Message ?? '{}') as { default: string; https: string };
    expect(extractJsonBlock(bodies.default)).toMatchObject({ workload: 'orders', state: 'NOT_READY' });
    expect(JSON.parse(bodies.https) as ChatNotification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: '🔴 [NOT READY] prod/orders: s-12345678901234567 is not ready',
      },
      metadata: { eventType: 'dr-autopilot-readiness-transition', threadId: 'dr-autopilot/prod/orders' },
    });
  });
});
