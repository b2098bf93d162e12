import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  READINESS_STATES,
  RESOURCE_TYPES,
  type ReadinessState,
  SERVICE_WORKLOAD,
} from '../../../events/dr-autopilot/signal.ts';
import { CHAT_LIMITS, type ChatNotification } from '../../../src/domain/chat-message.ts';
import type {
  Evidence,
  Observation,
  ResourceRef,
  WorkloadTransition,
} from '../../../src/domain/readiness.ts';
import {
  type DigestWorkload,
  extractJsonBlock,
  JSON_BEGIN,
  type MessageContext,
  messageBytes,
  type NotificationMessage,
  type ResourceView,
  renderDigestMessage,
  renderTransitionMessage,
  SNS_MAX_MESSAGE_BYTES,
} from '../../../src/domain/sns-message.ts';

/**
 * Properties of every message the builders make, over many generated inputs (a seeded generator: the same cases
 * on every run, different mixes per seed): a subject SNS accepts (under 100 characters, one line, printable),
 * text for people without `null`, `undefined`, `NaN` or `[object Object]`, a JSON block that parses, a size
 * within SNS's limit, non-empty attribute values, and a runbook link to a section that exists.
 */
const RUNBOOK = readFileSync(new URL('../../../docs/runbook.md', import.meta.url), 'utf8');
const ANCHORS = new Set(
  [...RUNBOOK.matchAll(/<a id="(runbook-[a-z0-9-]+)"><\/a>/g)].map((match) => match[1]),
);
const FORBIDDEN = /\bnull\b|\bundefined\b|\[object Object\]|\bNaN\b/;

/** A deterministic pseudo-random sequence. */
function generator(seed: number) {
  let value = seed;
  const next = () => {
    value = (value * 1_103_515_245 + 12_345) % 2 ** 31;
    return value / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  const int = (max: number) => Math.floor(next() * (max + 1));
  /** Text as detectors and tags may give it: plain, long, multi-line, markdown, JSON-like, any script. */
  const text = (max = 200): string => {
    const piece = pick([
      'replication lag 42m over RPO 15m',
      's-0a1b2c3d4e5f60001',
      'line one\nline two\r\nline three',
      'tab\tseparated\tvalues',
      '*bold* _italic_ ~strike~ `code` <b>html</b> [link](https://example.com)',
      '{"json": [1, 2, {"nested": true}]}',
      'émoji 🚨🔥 日本語 العربية',
      'zero\u200bwidth\u0007bell\u2028separator',
      'back\\slash "quoted" \'single\'',
      'x'.repeat(1_000),
      '  padded  ',
      '-',
    ]);
    const joined = chance(0.3) ? `${piece} ${text(max)}` : piece;
    return Array.from(joined).slice(0, Math.max(1, max)).join('');
  };
  const iso = () => new Date(Date.UTC(2026, 10, 1 + int(27), int(23), int(59), int(59))).toISOString();
  const state = () => pick(READINESS_STATES);
  const resource = (index: number): ResourceRef => {
    const type = pick(RESOURCE_TYPES);
    return {
      type,
      id: chance(0.8) ? `${type === 'drs-service' ? 'us-west-2' : 's'}-${index}` : text(300),
      ...(chance(0.5) ? { arn: `arn:aws:drs:us-west-2:111122223333:source-server/s-${index}` } : {}),
      region: 'us-west-2',
      account: '111122223333',
      ...(chance(0.5) ? { name: text(60) } : {}),
    };
  };
  const evidence = (): Evidence =>
    Object.fromEntries(
      Array.from({ length: int(40) }, (_, index) => [
        chance(0.9) ? `field${index}` : text(120),
        pick([text(600), int(10_000), chance(0.5), null, 0, -1, 1.5e21]),
      ]),
    );
  const runbook = () => pick([undefined, '', 'runbook-nowhere', ...ANCHORS]);
  const observation = (observed: ReadinessState): Observation => ({
    signalId: `sig-${int(1e6)}`,
    signalType: pick(['Replication Status Changed', 'Recovery Launch Failed', 'Readiness Stale']),
    observedAt: iso(),
    state: observed,
    reason: text(120),
    ...(chance(0.7) ? { nextStep: chance(0.1) ? '' : text(500) } : {}),
    ...(chance(0.8) ? { runbook: runbook() } : {}),
    severity: pick(['info', 'warning', 'critical'] as const),
    summary: text(500),
    evidence: evidence(),
    dryRun: chance(0.2),
    correlationId: `c-${int(1e6)}`,
  });
  const view = (index: number): ResourceView => {
    const ref = resource(index);
    const viewState = state();
    return {
      key: `${ref.type}#${ref.id}`,
      resource: ref,
      state: viewState,
      since: iso(),
      reason: text(120),
      ...(chance(0.7) ? { nextStep: chance(0.1) ? '' : text(500) } : {}),
      ...(chance(0.7) ? { runbook: runbook() } : {}),
      observedAt: iso(),
      ...(chance(0.2) ? { pendingState: state() } : {}),
    };
  };
  const workloadName = () => pick(['payments', 'default', SERVICE_WORKLOAD, text(128)]);
  const context = (): MessageContext => ({
    stage: pick(['prod', 'dev', 'a-very-long-stage-name-of-forty-chars-xx']),
    region: pick(['us-west-2', 'ap-southeast-2', 'eu-central-1']),
    runbookUrl: pick([
      'docs/runbook.md',
      'https://github.com/example/dr-autopilot/blob/main/docs/runbook.md',
    ]),
    chat: chance(0.5),
  });
  const transition = (resources: ResourceView[]): WorkloadTransition => {
    const to = state();
    const trigger = chance(0.7) && resources.length > 0 ? pick(resources) : view(999);
    const triggerState = chance(0.6) ? to : state();
    return {
      id: `t${String(int(1e9)).padStart(10, '0')}`,
      workload: workloadName(),
      from: chance(0.3) ? undefined : state(),
      to,
      at: iso(),
      trigger: {
        resourceKey: trigger.key,
        resource: trigger.resource,
        state: triggerState,
        since: iso(),
        cause: observation(triggerState),
        ...(chance(0.1) ? { retired: true } : {}),
      },
      dryRun: chance(0.2),
    };
  };
  const digestWorkload = (): DigestWorkload => ({
    workload: workloadName(),
    state: state(),
    since: iso(),
    resources: Array.from({ length: int(8) }, (_, index) => view(index)),
    changes: Array.from({ length: int(5) }, () => ({
      at: iso(),
      from: chance(0.3) ? null : state(),
      to: state(),
    })),
  });
  return { int, view, transition, digestWorkload, context, iso };
}

/** What people read: the subject and the body without the JSON block. */
function humanText(message: NotificationMessage): string {
  const start = message.body.indexOf(JSON_BEGIN);
  return `${message.subject}\n${start >= 0 ? message.body.slice(0, start) : message.body}`;
}

function assertProperties(message: NotificationMessage, context: MessageContext, label: string): void {
  const { subject } = message;
  expect(Array.from(subject).length, `${label}: subject length`).toBeLessThan(100);
  expect(subject.trim().length, `${label}: subject empty`).toBeGreaterThan(0);
  expect(subject, `${label}: subject one printable line`).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  expect(humanText(message), `${label}: text for people`).not.toMatch(FORBIDDEN);
  expect(() => extractJsonBlock(message.body), `${label}: JSON block`).not.toThrow();
  expect(messageBytes(message), `${label}: size`).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
  for (const [name, value] of Object.entries(message.attributes)) {
    expect(value.length, `${label}: attribute ${name}`).toBeGreaterThan(0);
    expect(value, `${label}: attribute ${name}`).not.toMatch(FORBIDDEN);
  }
  // Every runbook link, in the text and in the JSON block, names a section of docs/runbook.md.
  const url = context.runbookUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const links = [...message.body.matchAll(new RegExp(`${url}#([^\\s"]*)`, 'g'))].map((match) => match[1]);
  for (const anchor of links) expect(ANCHORS, `${label}: runbook link #${anchor}`).toContain(anchor);
  if (context.chat) assertChatProperties(message, label);
  else expect(message.chat, `${label}: no chat rendering when off`).toBeUndefined();
}

/** The chat rendering: the custom notification schema, inert one-line texts within bounds, no stray words. */
function assertChatProperties(message: NotificationMessage, label: string): void {
  const chat = JSON.parse(message.chat ?? 'null') as ChatNotification;
  expect(chat, `${label}: chat schema`).toMatchObject({
    version: '1.0',
    source: 'custom',
    content: { textType: 'client-markdown' },
  });
  const { content, metadata } = chat;
  const lines = [
    content.title,
    ...content.nextSteps,
    ...content.keywords,
    metadata.summary,
    metadata.eventType,
    ...metadata.relatedResources,
    ...Object.values(metadata.additionalContext),
  ];
  for (const line of lines) {
    expect(line.length, `${label}: chat text empty`).toBeGreaterThan(0);
    expect(line, `${label}: chat text one inert line`).not.toMatch(/[<>\p{Cc}\p{Zl}\p{Zp}]/u);
  }
  expect(content.description, `${label}: chat description inert`).not.toMatch(/[<>]/);
  expect(Array.from(content.title).length).toBeLessThanOrEqual(CHAT_LIMITS.title);
  expect(Array.from(content.description).length).toBeLessThanOrEqual(CHAT_LIMITS.description);
  expect(content.nextSteps.length).toBeLessThanOrEqual(CHAT_LIMITS.nextSteps);
  expect(content.keywords.length).toBeLessThanOrEqual(CHAT_LIMITS.keywords);
  expect(`${lines.join('\n')}\n${content.description}`, `${label}: chat text`).not.toMatch(FORBIDDEN);
}

describe('message builders: properties over generated inputs', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('transition messages hold for 60 cases (seed %i)', (seed) => {
    const generate = generator(seed);
    for (let index = 0; index < 60; index++) {
      // Prepare
      const resources = Array.from({ length: generate.int(index % 10 === 0 ? 300 : 30) }, (_, i) =>
        generate.view(i),
      );
      const transition = generate.transition(resources);
      const context = generate.context();
      // Act
      const message = renderTransitionMessage(transition, resources, context);
      // Assess
      assertProperties(message, context, `seed ${seed} case ${index}`);
      expect(message.body).toMatch(/NEXT STEP\n\S/);
    }
  });

  it.each([1, 2, 3, 4])('digest messages hold for 40 cases (seed %i)', (seed) => {
    const generate = generator(seed);
    for (let index = 0; index < 40; index++) {
      // Prepare
      const workloads = Array.from({ length: generate.int(12) }, () => generate.digestWorkload());
      const context = generate.context();
      // Act
      const message = renderDigestMessage(
        { windowStart: generate.iso(), at: generate.iso(), workloads },
        context,
      );
      // Assess
      assertProperties(message, context, `seed ${seed} case ${index}`);
    }
  });
});
