/**
 * Messages for chat channels through Amazon Q Developer in chat applications (formerly AWS Chatbot), which
 * renders an SNS message only in a format it knows: for an application's own events, a *custom
 * notification*. Its event schema and parameters (Amazon Q Developer in chat applications administrator guide,
 * "Custom notifications using Amazon Q Developer in chat applications",
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html):
 *
 * ```
 * { "version": "1.0", "source": "custom", "id": String,
 *   "content": { "textType": "client-markdown", "title": String, "description": String,
 *                "nextSteps": [String, …], "keywords": [String, …] },
 *   "metadata": { "threadId": String, "summary": String, "eventType": String,
 *                 "relatedResources": [String, …], "additionalContext": { key: String, … } } }
 * ```
 *
 * `version` must be `1.0` and `source` must be `custom` (the only required fields); `textType` supports only
 * `client-markdown` (rendered in the chat platform's own markdown); the title supports markdown and emoji;
 * `threadId` groups notifications in one thread when the channel's preferences allow it. The page gives no
 * length limits: the bounds below are ours, chosen so a message reads well in Slack and Microsoft Teams and
 * stays small next to the email text it travels with (one SNS message, see `sns-message.ts`).
 *
 * Text from signals (reasons, tags, alarm descriptions) is made inert for the chat platforms: no control
 * characters, and no angle brackets (Slack reads `<!channel>` as a mention and `<url|text>` as a link).
 */

export const CHAT_LIMITS = {
  title: 250,
  description: 4_000,
  descriptionLine: 500,
  nextSteps: 5,
  nextStep: 500,
  keywords: 10,
  keyword: 50,
  relatedResources: 10,
  relatedResource: 256,
  additionalContext: 10,
  contextValue: 256,
  id: 128,
  threadId: 128,
  summary: 200,
} as const;

/** What a chat message says: the caller's content, before limits and sanitising. */
export interface ChatInput {
  id?: string | undefined;
  title: string;
  /** Lines of the description; blank lines are kept as paragraph breaks. */
  description: readonly string[];
  nextSteps: readonly string[];
  keywords: readonly string[];
  threadId?: string | undefined;
  summary: string;
  eventType: string;
  relatedResources: readonly string[];
  additionalContext: Readonly<Record<string, string>>;
}

/** The custom notification, as Amazon Q Developer in chat applications reads it. */
export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId?: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/** Inert, printable, one-line text: no control characters, no angle brackets, at most `max` characters (`…` when cut). */
export function chatText(text: string, max: number): string {
  const clean = text
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(clean);
  return chars.length <= max
    ? clean
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

function nonEmpty(values: readonly string[], count: number, max: number): string[] {
  return values
    .map((value) => chatText(value, max))
    .filter((value) => value.length > 0)
    .slice(0, count);
}

/** The description: lines cut one by one, then the whole, never in the middle of a line it keeps. */
function description(lines: readonly string[]): string {
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    const clean = chatText(line, CHAT_LIMITS.descriptionLine);
    const added = Array.from(clean).length + (kept.length > 0 ? 1 : 0);
    if (length + added > CHAT_LIMITS.description - 2) {
      kept.push('…');
      break;
    }
    kept.push(clean);
    length += added;
  }
  return kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The custom notification for `input`, within our bounds. */
export function renderChatNotification(input: ChatInput): ChatNotification {
  const context = Object.fromEntries(
    Object.entries(input.additionalContext)
      .map(([key, value]): [string, string] => [
        chatText(key, 64).replace(/[^A-Za-z0-9_-]/g, '_'),
        chatText(value, CHAT_LIMITS.contextValue),
      ])
      .filter(([key, value]) => key.length > 0 && value.length > 0)
      .slice(0, CHAT_LIMITS.additionalContext),
  );
  const id = input.id ? chatText(input.id, CHAT_LIMITS.id) : '';
  const threadId = input.threadId ? chatText(input.threadId, CHAT_LIMITS.threadId) : '';
  return {
    version: '1.0',
    source: 'custom',
    ...(id ? { id } : {}),
    content: {
      textType: 'client-markdown',
      title: chatText(input.title, CHAT_LIMITS.title),
      description: description(input.description),
      nextSteps: nonEmpty(input.nextSteps, CHAT_LIMITS.nextSteps, CHAT_LIMITS.nextStep),
      keywords: [...new Set(nonEmpty(input.keywords, CHAT_LIMITS.keywords, CHAT_LIMITS.keyword))],
    },
    metadata: {
      ...(threadId ? { threadId } : {}),
      summary: chatText(input.summary, CHAT_LIMITS.summary),
      eventType: chatText(input.eventType, 100),
      relatedResources: [
        ...new Set(
          nonEmpty(input.relatedResources, CHAT_LIMITS.relatedResources, CHAT_LIMITS.relatedResource),
        ),
      ],
      additionalContext: context,
    },
  };
}
