import { hungResponse, queryError, type SimRequest, type SimResponse, xmlEscape } from './http.ts';
import type { Fault, SimWorld } from './world.ts';

/**
 * Amazon SNS of one Region, simulated: `Publish` and `PublishBatch` (query protocol: a form-encoded POST, an XML answer) on
 * the deployment's topics, with the checks SNS makes (topic exists, subject under 100 characters without line
 * breaks, 256 KiB limit on body plus attributes, `MessageStructure=json` needs a `default` key, attribute data
 * types). Every accepted message is kept, and {@link renderMessage} shows it the way on-call reads it.
 */

export interface SnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string | undefined;
  message: string;
  messageStructure?: string | undefined;
  attributes: Record<string, { dataType: string; value: string }>;
}

const MAX_BYTES = 262_144;
const DATA_TYPES = /^(String|String\.Array|Number|Binary)(\..+)?$/;

export class SnsSim {
  messages: SnsMessage[] = [];
  readonly region: string;

  constructor(
    private readonly world: SimWorld,
    private readonly topics: Set<string>,
    region?: string,
  ) {
    this.region = region ?? world.region;
  }

  reset(): void {
    this.messages = [];
  }

  handle(request: SimRequest): SimResponse {
    const form = new URLSearchParams(request.body);
    const action = form.get('Action');
    const fault = action ? this.world.takeFault('sns', action, this.region) : undefined;
    if (fault?.afterApply) {
      // After apply: the message is accepted (subscribers get it), the answer is an error; a retry sends it again.
      if (action === 'Publish') return this.publish(form, fault);
      if (action === 'PublishBatch') return this.publishBatch(form, fault);
    }
    if (fault && !fault.afterApply) {
      this.world.recordCall(
        {
          service: 'sns',
          operation: action ?? '?',
          result: fault.error,
          mutating: true,
          input: Object.fromEntries(form),
          region: this.region,
        },
        `${action}(${form.get('TopicArn') ?? ''})`,
      );
      return faultAnswer(fault);
    }
    if (action === 'Publish') return this.publish(form);
    if (action === 'PublishBatch') return this.publishBatch(form);
    return queryError(
      400,
      'InvalidAction',
      `The action ${action ?? '(none)'} is not valid for this endpoint.`,
    );
  }

  /** `lost`: a fault after apply, answered instead of the outcome. */
  private publish(form: URLSearchParams, lost?: Fault): SimResponse {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn') ?? '';
    const parsed = this.check(topicArn, readEntry(form, ''));
    const summary = `Publish(${topicArn.slice(topicArn.lastIndexOf(':') + 1)})`;
    if ('error' in parsed) {
      this.world.recordCall(
        {
          service: 'sns',
          operation: 'Publish',
          result: lost?.error ?? parsed.error.code,
          mutating: true,
          input: Object.fromEntries(form),
          region: this.region,
        },
        summary,
      );
      if (lost) return faultAnswer(lost);
      return queryError(parsed.error.status, parsed.error.code, parsed.error.message);
    }
    this.accept(parsed.message);
    this.world.recordCall(
      {
        service: 'sns',
        operation: 'Publish',
        result: lost?.error ?? 'ok',
        mutating: true,
        input: Object.fromEntries(form),
        region: this.region,
        ...(lost ? { applied: true } : {}),
      },
      summary,
    );
    if (lost) return faultAnswer(lost);
    return xml('Publish', `<MessageId>${parsed.message.messageId}</MessageId>`);
  }

  /**
   * A message an AWS service publishes (CloudWatch's alarm actions, an EventBridge rule's SNS target): the checks
   * Publish makes, and no API call of the deployment's (it is not in the calls a scenario counts).
   */
  publishFromService(input: {
    topicArn: string;
    subject?: string | undefined;
    message: string;
    messageStructure?: string | undefined;
  }): { messageId: string } | { error: { status: number; code: string; message: string } } {
    const parsed = this.check(input.topicArn, {
      subject: input.subject,
      message: input.message,
      messageStructure: input.messageStructure,
      attributes: {},
    });
    if ('error' in parsed) return parsed;
    this.accept(parsed.message);
    return { messageId: parsed.message.messageId };
  }

  private publishBatch(form: URLSearchParams, lost?: Fault): SimResponse {
    const topicArn = form.get('TopicArn') ?? '';
    const successful: string[] = [];
    const failed: string[] = [];
    for (let index = 1; form.has(`PublishBatchRequestEntries.member.${index}.Id`); index++) {
      const prefix = `PublishBatchRequestEntries.member.${index}.`;
      const id = form.get(`${prefix}Id`) ?? '';
      const parsed = this.check(topicArn, readEntry(form, prefix));
      if ('error' in parsed) {
        failed.push(
          `<member><Id>${xmlEscape(id)}</Id><Code>${parsed.error.code}</Code><Message>${xmlEscape(parsed.error.message)}</Message><SenderFault>true</SenderFault></member>`,
        );
      } else {
        this.accept(parsed.message);
        successful.push(
          `<member><Id>${xmlEscape(id)}</Id><MessageId>${parsed.message.messageId}</MessageId></member>`,
        );
      }
    }
    this.world.recordCall(
      {
        service: 'sns',
        operation: 'PublishBatch',
        result: lost?.error ?? (failed.length === 0 ? 'ok' : `${failed.length} failed`),
        mutating: true,
        input: Object.fromEntries(form),
        region: this.region,
        ...(lost && successful.length > 0 ? { applied: true } : {}),
      },
      `PublishBatch(${successful.length + failed.length} messages)`,
    );
    if (lost) return faultAnswer(lost);
    return xml(
      'PublishBatch',
      `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>`,
    );
  }

  private accept(message: SnsMessage): void {
    this.messages.push(message);
    this.world.record({
      kind: 'sns',
      messageIndex: this.messages.length - 1,
      subject: message.subject ?? '(no subject)',
      region: this.region,
    });
  }

  private check(
    topicArn: string,
    entry: Omit<SnsMessage, 'messageId' | 'topicArn'>,
  ): { message: SnsMessage } | { error: { status: number; code: string; message: string } } {
    const invalid = (message: string) => ({ error: { status: 400, code: 'InvalidParameter', message } });
    if (!this.topics.has(topicArn))
      return { error: { status: 404, code: 'NotFound', message: 'Topic does not exist' } };
    if (!entry.message) return invalid('Invalid parameter: Message');
    if (entry.subject !== undefined) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: SNS rejects control characters in subjects
      if (entry.subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(entry.subject)) {
        return invalid('Invalid parameter: Subject');
      }
    }
    if (entry.messageStructure !== undefined) {
      if (entry.messageStructure !== 'json') return invalid('Invalid parameter: MessageStructure');
      let body: unknown;
      try {
        body = JSON.parse(entry.message);
      } catch {
        return invalid('Invalid parameter: Message Structure - JSON message body failed to parse');
      }
      if (typeof (body as Record<string, unknown>)?.default !== 'string') {
        return invalid('Invalid parameter: Message Structure - No default entry in JSON message body');
      }
    }
    let bytes = Buffer.byteLength(entry.message);
    for (const [name, attribute] of Object.entries(entry.attributes)) {
      if (!DATA_TYPES.test(attribute.dataType)) {
        return invalid(
          `Invalid parameter: MessageAttributes: ${name} has an invalid DataType ${attribute.dataType}`,
        );
      }
      if (attribute.dataType.startsWith('Number') && Number.isNaN(Number(attribute.value))) {
        return invalid(`Invalid parameter: MessageAttributes: ${name} is not a number`);
      }
      bytes +=
        Buffer.byteLength(name) + Buffer.byteLength(attribute.dataType) + Buffer.byteLength(attribute.value);
    }
    if (bytes > MAX_BYTES) return invalid('Invalid parameter: Message too long');
    return { message: { messageId: crypto.randomUUID(), topicArn, ...entry } };
  }
}

function readEntry(form: URLSearchParams, prefix: string): Omit<SnsMessage, 'messageId' | 'topicArn'> {
  const attributes: SnsMessage['attributes'] = {};
  for (let index = 1; form.has(`${prefix}MessageAttributes.entry.${index}.Name`); index++) {
    const base = `${prefix}MessageAttributes.entry.${index}.`;
    attributes[form.get(`${base}Name`) ?? ''] = {
      dataType: form.get(`${base}Value.DataType`) ?? '',
      value: form.get(`${base}Value.StringValue`) ?? form.get(`${base}Value.BinaryValue`) ?? '',
    };
  }
  return {
    subject: form.get(`${prefix}Subject`) ?? undefined,
    message: form.get(`${prefix}Message`) ?? '',
    messageStructure: form.get(`${prefix}MessageStructure`) ?? undefined,
    attributes,
  };
}

function xml(action: string, result: string): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** The body an email subscriber reads: with `MessageStructure=json`, the `email` entry, else `default`. */
export function emailBody(message: SnsMessage): string {
  if (message.messageStructure !== 'json') return message.message;
  const body = JSON.parse(message.message) as Record<string, unknown>;
  return String(body.email ?? body.default ?? '');
}

/** A message as on-call reads it: subject, the filterable attributes, and the email body. */
export function renderMessage(
  message: SnsMessage,
  indent = '    ',
  options: { full?: boolean } = {},
): string {
  const topic = message.topicArn.slice(message.topicArn.lastIndexOf(':') + 1);
  const attributes = Object.entries(message.attributes)
    .map(([name, attribute]) => `${name}=${attribute.value}`)
    .join('  ');
  const lines = [
    `┌─ SNS ${topic}${attributes ? `   [${attributes}]` : ''}`,
    `│ Subject: ${message.subject ?? '(none)'}`,
    ...(message.messageStructure === 'json' && Object.keys(message.attributes).length > 0
      ? ['│ (note: SNS does not deliver message attributes with MessageStructure=json)']
      : []),
    '│',
    ...collapseBlocks(emailBody(message).split('\n'), options.full ?? false).map((line) => `│ ${line}`),
    '└─',
  ];
  return lines.map((line) => indent + line).join('\n');
}

/** A `--- BEGIN … ---` / `--- END … ---` block (a machine-readable part) shown as one line unless `full`. */
function collapseBlocks(lines: string[], full: boolean): string[] {
  if (full) return lines;
  const out: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const begin = /^-{3} BEGIN (.+) -{3}$/.exec(line.trim());
    const end = begin
      ? lines.findIndex((candidate, at) => at > index && /^-{3} END .+ -{3}$/.test(candidate.trim()))
      : -1;
    if (begin && end > index) {
      out.push(`[${begin[1]}: ${end - index - 1} line(s), shown with --verbose]`);
      index = end;
    } else out.push(line);
  }
  while (out.length > 0 && (out[out.length - 1] ?? '').trim() === '') out.pop();
  return out;
}

/** An injected SNS error: `Throttled` is a 400 (the SDK retries it by its code), anything else a 500. */
function faultAnswer({ error, message, hang }: Fault): SimResponse {
  if (hang) return hungResponse(error);
  return queryError(error === 'Throttled' ? 400 : 500, error, message ?? `simulated ${error}`);
}
