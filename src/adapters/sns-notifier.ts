import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { snsMessageOf } from '../domain/sns-message.ts';
import { wellFormed, wellFormedDeep } from '../domain/text.ts';
import type { Notifier } from '../ports/notifier.ts';

/**
 * On-call notifications through SNS Publish (a standard topic; the message attributes travel with the message so
 * subscription filter policies can use them). One Publish per notification: with a chat rendering, the message
 * is a JSON object with a body per protocol (`MessageStructure: json`: `https` gets the chat JSON, every other
 * protocol the text), so no subscriber receives the notification twice.
 */
export function createSnsNotifier(options: { client: SNSClient; topicArn: string }): Notifier {
  return {
    async notify(raw) {
      // Nothing leaves malformed: a lone surrogate makes the SDK's query encoding throw URIError (src/domain/text.ts).
      const notification = wellFormedDeep(raw);
      const { message: body, structure } = snsMessageOf(notification);
      const message = wellFormed(body);
      const { MessageId } = await options.client.send(
        new PublishCommand({
          TopicArn: options.topicArn,
          Subject: notification.subject,
          Message: message,
          ...(structure ? { MessageStructure: structure } : {}),
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
