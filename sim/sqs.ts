import type { SimQueue } from './template.ts';

/**
 * The deployment's SQS queues of one Region, as far as the simulator needs them: what arrives in them (dead
 * letters: an event a rule's DLQ receives, a function's on-failure destination record), how long a message stays
 * (`MessageRetentionPeriod`), and the metrics SQS publishes to CloudWatch about them. No SQS API is served: no
 * function of the deployment reads these queues, and nobody receives or deletes a message during a rehearsal, so a
 * message stays until its retention period ends.
 *
 * Metrics (SQS Developer Guide, "Available CloudWatch metrics for Amazon SQS" and "Monitoring Amazon SQS queues
 * using CloudWatch"): SQS pushes them to CloudWatch at one-minute intervals, namespace `AWS/SQS`, dimension
 * `QueueName`, and only for an *active* queue: one that holds messages, or that an API action touched within
 * the last six hours. The documentation's sentence ("active for up to six hours if it contains any messages or if
 * any API action accesses it") is read here as: a queue holding messages keeps reporting. An empty queue nobody
 * has touched for six hours publishes nothing, which an alarm sees as missing data.
 */

export interface QueueMessage {
  id: string;
  body: string;
  /** When it was sent (ms since the epoch): SendMessage, an API action on the queue. */
  sentAt: number;
  /** When its retention period ends and SQS deletes it. */
  expiresAt: number;
}

/** A metric sample as SQS sends it: one per minute, at the minute. */
export interface MetricSample {
  at: number;
  value: number;
}

const MINUTE = 60_000;
/** How long an empty queue keeps reporting metrics after the last API action on it. */
export const QUEUE_ACTIVE_AFTER_ACTION_MS = 6 * 3_600_000;
/** The metrics this model can compute. */
export const SQS_METRICS = ['ApproximateNumberOfMessagesVisible'] as const;

export class SqsSim {
  private readonly queues: Map<string, { queue: SimQueue; messages: QueueMessage[] }>;

  constructor(queues: readonly SimQueue[]) {
    this.queues = new Map(queues.map((queue) => [queue.arn, { queue, messages: [] }]));
  }

  /** Empty queues that nobody has touched for a long time: what a deployment at rest has. */
  reset(): void {
    for (const entry of this.queues.values()) entry.messages = [];
  }

  /** A message arrives in the queue (by ARN); false when the queue is not one of the deployment's. */
  send(queueArn: string, body: string, at = Date.now()): boolean {
    const entry = this.queues.get(queueArn);
    if (!entry) return false;
    entry.messages.push({
      id: crypto.randomUUID(),
      body,
      sentAt: at,
      expiresAt: at + entry.queue.retentionSeconds * 1000,
    });
    return true;
  }

  /** The queue named `name` (the `QueueName` dimension), if the deployment has it. */
  queueNamed(name: string): SimQueue | undefined {
    return [...this.queues.values()].find((entry) => entry.queue.name === name)?.queue;
  }

  /** The messages of a queue (by name) that are in it at `at`. */
  messagesAt(name: string, at: number): QueueMessage[] {
    const entry = [...this.queues.values()].find((candidate) => candidate.queue.name === name);
    return (entry?.messages ?? []).filter((message) => message.sentAt <= at && at < message.expiresAt);
  }

  /** Whether SQS publishes the queue's metrics at `at` (see the module comment). */
  isActiveAt(name: string, at: number): boolean {
    const entry = [...this.queues.values()].find((candidate) => candidate.queue.name === name);
    if (!entry) return false;
    if (this.messagesAt(name, at).length > 0) return true;
    const lastAction = Math.max(
      Number.NEGATIVE_INFINITY,
      ...entry.messages.filter((message) => message.sentAt <= at).map((message) => message.sentAt),
    );
    return at - lastAction <= QUEUE_ACTIVE_AFTER_ACTION_MS;
  }

  /**
   * The samples SQS sends CloudWatch for a metric of a queue between `from` (inclusive) and `to` (exclusive): one
   * at each minute while the queue is active. Nobody receives from the deployment's queues, so every message is
   * visible. `undefined` when the queue or the metric is not simulated.
   */
  samples(name: string, metricName: string, from: number, to: number): MetricSample[] | undefined {
    if (!this.queueNamed(name) || !(SQS_METRICS as readonly string[]).includes(metricName)) return undefined;
    const samples: MetricSample[] = [];
    for (let at = Math.ceil(from / MINUTE) * MINUTE; at < to; at += MINUTE) {
      if (this.isActiveAt(name, at)) samples.push({ at, value: this.messagesAt(name, at).length });
    }
    return samples;
  }
}
