import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { createSnsNotifier } from '../../../src/adapters/sns-notifier.ts';

const TOPIC = 'arn:aws:sns:us-west-2:111122223333:dr-autopilot-test-readiness';
const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

describe('createSnsNotifier', () => {
  it('publishes subject, body and String attributes to the topic', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = createSnsNotifier({ client: new SNSClient({ region: 'us-west-2' }), topicArn: TOPIC });
    // Act
    const result = await notifier.notify({
      subject: 's',
      body: 'b',
      attributes: { severity: 'critical', workload: 'w' },
    });
    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 's',
      Message: 'b',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        workload: { DataType: 'String', StringValue: 'w' },
      },
    });
  });

  it('publishes a message with a chat rendering once, with a body per protocol (chat for HTTPS)', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const notifier = createSnsNotifier({ client: new SNSClient({ region: 'us-west-2' }), topicArn: TOPIC });
    const chat = JSON.stringify({
      version: '1.0',
      source: 'custom',
      content: { title: 't', description: 'd' },
    });
    // Act
    await notifier.notify({ subject: 's', body: 'text for email', attributes: { state: 'READY' }, chat });
    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 's',
      MessageStructure: 'json',
      Message: JSON.stringify({ default: 'text for email', https: chat }),
      MessageAttributes: { state: { DataType: 'String', StringValue: 'READY' } },
    });
  });

  it('lets a publish failure propagate', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(new Error('KMSAccessDenied'));
    const notifier = createSnsNotifier({ client: new SNSClient({ region: 'us-west-2' }), topicArn: TOPIC });
    // Act
    const result = notifier.notify({ subject: 's', body: 'b', attributes: {} });
    // Assess
    await expect(result).rejects.toThrow('KMSAccessDenied');
  });
});
