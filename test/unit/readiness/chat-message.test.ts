import { describe, expect, it } from 'vitest';
import type { ReadinessState } from '../../../events/dr-autopilot/signal.ts';
import { CHAT_LIMITS, type ChatNotification, chatText } from '../../../src/domain/chat-message.ts';
import type { Observation, ResourceRef, WorkloadTransition } from '../../../src/domain/readiness.ts';
import {
  extractJsonBlock,
  type MessageContext,
  messageBytes,
  type ResourceView,
  renderDigestMessage,
  renderTransitionMessage,
  SNS_MAX_MESSAGE_BYTES,
  snsMessageOf,
} from '../../../src/domain/sns-message.ts';

const context: MessageContext = {
  stage: 'prod',
  region: 'us-west-2',
  runbookUrl: 'https://example.com/docs/runbook.md',
  chat: true,
};

function view(index: number, state: ReadinessState, idLength = 19): ResourceView {
  const id = `s-${String(index).padStart(idLength - 2, '0')}`;
  return {
    key: `drs-source-server#${id}`,
    resource: {
      type: 'drs-source-server',
      id,
      arn: `arn:aws:drs:us-west-2:111122223333:source-server/${id}`,
      region: 'us-west-2',
      account: '111122223333',
      name: `pay-${index}`,
    },
    state,
    since: '2026-11-22T09:50:00.000Z',
    reason: state === 'READY' ? 'replicating' : `replication lag 22m over RPO 15m for ${id}`,
    nextStep: 'Check the replication server.',
    runbook: 'runbook-replication-over-rpo',
    observedAt: '2026-11-22T10:15:00.000Z',
  };
}

function transition(cause: Partial<Observation> = {}, overrides: Partial<WorkloadTransition> = {}) {
  const resource: ResourceRef = {
    type: 'drs-recovery-launch',
    id: 's-1234567890abcdef0',
    arn: 'arn:aws:drs:us-west-2:111122223333:source-server/s-1234567890abcdef0',
    region: 'us-west-2',
    account: '111122223333',
    name: 'pay-api-1',
  };
  const observation: Observation = {
    signalId: 'a1b2c3d4e5f6a7b8',
    signalType: 'Recovery Launch Failed',
    observedAt: '2026-11-22T10:15:00.000Z',
    state: 'NOT_READY',
    reason: 'recovery launch failed for s-1234567890abcdef0',
    nextStep: 'Open DRS job drsjob-04ca7d0d3fb6afa3e in us-west-2, fix the launch settings, launch again.',
    runbook: 'runbook-recovery-launch-failed',
    severity: 'critical',
    summary:
      'DRS recovery launch failed for source server s-1234567890abcdef0 (job drsjob-04ca7d0d3fb6afa3e)',
    evidence: { jobId: 'drsjob-04ca7d0d3fb6afa3e' },
    dryRun: false,
    correlationId: '9da9af57-9253-4406-87cb-7cc400e43465',
    ...cause,
  };
  const change: WorkloadTransition = {
    id: 't0000000042',
    workload: 'payments',
    from: 'AT_RISK',
    to: 'NOT_READY',
    at: '2026-11-22T10:15:00.000Z',
    trigger: {
      resourceKey: `${resource.type}#${resource.id}`,
      resource,
      state: 'NOT_READY',
      since: '2026-11-22T10:15:00.000Z',
      cause: observation,
    },
    dryRun: observation.dryRun,
    ...overrides,
  };
  return change;
}

const launchView = (): ResourceView => {
  const { trigger } = transition();
  return {
    key: trigger.resourceKey,
    resource: trigger.resource,
    state: 'NOT_READY',
    since: trigger.since,
    reason: trigger.cause.reason,
    observedAt: trigger.since,
  };
};

const chatOf = (message: { chat?: string | undefined }) =>
  JSON.parse(message.chat ?? 'null') as ChatNotification;

describe('chat rendering (Amazon Q Developer in chat applications custom notifications)', () => {
  it('renders a transition as a custom notification: title, description, next steps, keywords, metadata', () => {
    // Act
    const message = renderTransitionMessage(
      transition(),
      [view(1, 'READY'), view(2, 'AT_RISK'), launchView()],
      context,
    );
    // Assess
    const chat = chatOf(message);
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: 'prod/payments/t0000000042',
      content: {
        textType: 'client-markdown',
        title: `🔴 ${message.subject}`,
        nextSteps: [
          'Open DRS job drsjob-04ca7d0d3fb6afa3e in us-west-2, fix the launch settings, launch again.',
          'Runbook: https://example.com/docs/runbook.md#runbook-recovery-launch-failed',
          'npm run status -- --stage prod --region us-west-2 --workload payments',
        ],
        keywords: ['NOT READY', 'critical', 'prod/payments', 'us-west-2'],
      },
      metadata: {
        threadId: 'dr-autopilot/prod/payments',
        summary: message.subject,
        eventType: 'dr-autopilot-readiness-transition',
        relatedResources: [
          'arn:aws:drs:us-west-2:111122223333:source-server/s-1234567890abcdef0',
          'arn:aws:drs:us-west-2:111122223333:source-server/s-00000000000000002',
        ],
        additionalContext: {
          stage: 'prod',
          region: 'us-west-2',
          workload: 'payments',
          state: 'NOT_READY',
          previousState: 'AT_RISK',
          severity: 'critical',
          transitionId: 't0000000042',
          dryRun: 'false',
        },
      },
    });
    expect(chat.content.description.split('\n')).toEqual([
      'Workload prod/payments is NOT READY (was AT RISK) since 2026-11-22T10:15:00.000Z. Region us-west-2, severity critical.',
      '',
      'What changed: drs-recovery-launch s-1234567890abcdef0 (pay-api-1) is NOT READY since 2026-11-22T10:15:00.000Z: recovery launch failed for s-1234567890abcdef0',
      'Evidence: DRS recovery launch failed for source server s-1234567890abcdef0 (job drsjob-04ca7d0d3fb6afa3e)',
      '',
      'Not ready (2 of 3):',
      '• NOT READY drs-recovery-launch s-1234567890abcdef0 (pay-api-1), since 2026-11-22T10:15:00.000Z: recovery launch failed for s-1234567890abcdef0',
      '• AT RISK drs-source-server s-00000000000000002 (pay-2), since 2026-11-22T09:50:00.000Z: replication lag 22m over RPO 15m for s-00000000000000002',
    ]);
  });

  it('publishes one SNS message with a body per protocol: the chat JSON for HTTPS, the text for the rest', () => {
    // Act
    const message = renderTransitionMessage(transition(), [launchView()], context);
    const sns = snsMessageOf(message);
    // Assess
    expect(sns.structure).toBe('json');
    const bodies = JSON.parse(sns.message) as Record<string, string>;
    expect(Object.keys(bodies).sort()).toEqual(['default', 'https']);
    expect(bodies.default).toBe(message.body);
    expect(bodies.https).toBe(message.chat);
    expect(extractJsonBlock(bodies.default ?? '')).toMatchObject({ kind: 'transition', state: 'NOT_READY' });
  });

  it('renders nothing for chat, and the message as before, when the option is off', () => {
    // Act
    const off = renderTransitionMessage(transition(), [launchView()], { ...context, chat: false });
    const on = renderTransitionMessage(transition(), [launchView()], context);
    // Assess
    expect(off).not.toHaveProperty('chat');
    expect(snsMessageOf(off)).toEqual({ message: off.body, structure: undefined });
    expect({ ...on, chat: undefined }).toEqual({ ...off, chat: undefined });
  });

  it('marks a dry-run change and says what a first READY report is', () => {
    // Act
    const dryRun = chatOf(renderTransitionMessage(transition({ dryRun: true }), [launchView()], context));
    const first = chatOf(
      renderTransitionMessage(
        transition({ state: 'READY', reason: 'recovery launch succeeded' }, { from: undefined, to: 'READY' }),
        [{ ...launchView(), state: 'READY' }],
        context,
      ),
    );
    // Assess
    expect(dryRun.content.title).toMatch(/^🔴 \[DRY-RUN\] \[NOT READY\]/);
    expect(dryRun.content.description).toMatch(/^\[DRY-RUN\] This change comes from a dry-run/);
    expect(dryRun.content.keywords).toContain('DRY-RUN');
    expect(first.content.title).toBe('🟢 [READY] prod/payments: now tracked: 1 resource(s) ready');
    expect(first.content.description).toContain('is READY (first report)');
    expect(first.content.description).toContain('All 1 resource(s) ready.');
    expect(first.metadata.additionalContext.previousState).toBe('none');
  });

  it('makes text from signals inert for chat: no mentions, no links forged with angle brackets, one line each', () => {
    // Act
    const chat = chatOf(
      renderTransitionMessage(
        transition({
          reason: 'launch failed <!channel> <https://evil.example|click>',
          nextStep: 'Page <@U123> now\nthen <!here>',
          summary: 'multi\nline\u0007summary',
        }),
        [launchView()],
        context,
      ),
    );
    // Assess
    const text = JSON.stringify(chat);
    expect(text).not.toMatch(/[<>]/);
    expect(chat.content.title).toContain('‹!channel›');
    expect(chat.content.nextSteps[0]).toBe('Page ‹@U123› now then ‹!here›');
    expect(chat.content.description).toContain('Evidence: multi line summary');
  });

  it('keeps to its bounds with thousands of resources, and the whole message within SNS limits', () => {
    // Prepare
    const resources = Array.from({ length: 5_000 }, (_, index) => view(index, 'AT_RISK', 400));
    // Act
    const message = renderTransitionMessage(transition(), resources, context);
    // Assess
    const chat = chatOf(message);
    expect(Array.from(chat.content.description).length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(chat.content.description).toContain('… and 4990 more.');
    expect(chat.metadata.relatedResources.length).toBeLessThanOrEqual(CHAT_LIMITS.relatedResources);
    expect(messageBytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(snsMessageOf(message).message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    const json = extractJsonBlock(message.body) as { resources: unknown[]; omittedResources: number };
    expect(json.resources.length + json.omittedResources).toBe(5_000);
  });

  it('renders the digest: the oldest open problem, the workloads not ready, its next steps', () => {
    // Act
    const message = renderDigestMessage(
      {
        windowStart: '2026-11-21T07:00:00.000Z',
        at: '2026-11-22T07:00:00.000Z',
        workloads: [
          {
            workload: 'orders',
            state: 'READY',
            since: '2026-11-01T00:00:00.000Z',
            resources: [view(1, 'READY')],
            changes: [],
          },
          {
            workload: 'payments',
            state: 'AT_RISK',
            since: '2026-11-22T09:50:00.000Z',
            resources: [view(2, 'AT_RISK')],
            changes: [{ at: '2026-11-21T09:00:00.000Z', from: 'READY', to: 'AT_RISK' }],
          },
        ],
      },
      context,
    );
    // Assess
    const chat = chatOf(message);
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: '📋 [DIGEST] prod: 1 of 2 workload(s) not ready, worst AT RISK',
        nextSteps: [
          'Check the replication server.',
          'Runbook: https://example.com/docs/runbook.md#runbook-replication-over-rpo',
          'npm run status -- --stage prod --region us-west-2',
        ],
        keywords: ['DIGEST', 'AT RISK', 'prod', 'us-west-2'],
      },
      metadata: {
        eventType: 'dr-autopilot-readiness-digest',
        additionalContext: { workloads: '2', notReady: '1' },
      },
    });
    expect(chat.metadata).not.toHaveProperty('threadId');
    expect(chat.content.description).toContain('• AT RISK prod/payments since 2026-11-22T09:50:00.000Z');
  });
});

describe('chatText', () => {
  it.each([
    ['a <b>tag</b>', 50, 'a ‹b›tag‹/b›'],
    ['two\nlines\r\nand\ttab', 50, 'two lines and tab'],
    ['x'.repeat(20), 10, `${'x'.repeat(9)}…`],
    ['🚨'.repeat(20), 5, '🚨🚨🚨🚨…'],
  ])('makes %j inert and at most %i characters', (input, max, expected) => {
    expect(chatText(input, max)).toBe(expected);
  });
});
