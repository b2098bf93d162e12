import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../ports/notifier.ts';

/**
 * On-call notifications through SNS Publish (a standard topic, String message structure so the message
 * attributes travel with it and subscription filter policies can use them).
 */
export function createSnsNotifier(options: { client: SNSClient; topicArn: string }): Notifier {
  return {
    async notify(notification) {
      const { MessageId } = await options.client.send(
        new PublishCommand({
          TopicArn: options.topicArn,
          Subject: notification.subject,
          Message: notification.body,
          MessageAttributes: Object.fromEntries(
            Object.entries(notification.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
      );
      return { messageId: MessageId };
    },
  };
}
