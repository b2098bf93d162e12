import { describe, expect, it } from 'vitest';
import type { ReadinessState } from '../../../events/dr-autopilot/signal.ts';
import type { Observation, ResourceRef, WorkloadTransition } from '../../../src/domain/readiness.ts';
import {
  extractJsonBlock,
  type MessageContext,
  messageBytes,
  type ResourceView,
  renderDigestMessage,
  renderTransitionMessage,
  SNS_MAX_MESSAGE_BYTES,
  SUBJECT_MAX_CHARS,
  toSubject,
} from '../../../src/domain/sns-message.ts';

const context: MessageContext = {
  stage: 'prod',
  region: 'us-west-2',
  runbookUrl: 'https://example.com/README.md',
};

function resource(index: number, idLength = 19): ResourceRef {
  return {
    type: 'drs-source-server',
    id: `s-${String(index).padStart(idLength - 2, '0')}`,
    arn: `arn:aws:drs:us-west-2:111122223333:source-server/s-${String(index).padStart(17, '0')}`,
    region: 'us-west-2',
    account: '111122223333',
    name: `web-${index}`,
  };
}

function view(index: number, state: ReadinessState, idLength?: number): ResourceView {
  const ref = resource(index, idLength);
  return {
    key: `${ref.type}#${ref.id}`,
    resource: ref,
    state,
    since: '2026-11-22T10:15:00.000Z',
    reason: `${state === 'READY' ? 'replicating' : 'replication lag 42m over RPO 15m'} for ${ref.id}`,
    nextStep: 'Check the replication server and the network path to the staging area.',
    runbook: 'runbook-replication-lag',
    observedAt: '2026-11-22T10:15:00.000Z',
  };
}

function cause(overrides: Partial<Observation> = {}): Observation {
  return {
    signalId: 'a1b2c3d4e5f6a7b8',
    signalType: 'Recovery Launch Failed',
    observedAt: '2026-11-22T10:15:00.000Z',
    state: 'NOT_READY',
    reason: 'recovery launch failed for s-12345678901234567',
    nextStep:
      'Open DRS job drsjob-12345678901234567 (Job log) in us-west-2, fix the launch settings, launch again.',
    runbook: 'runbook-recovery-launch-failed',
    severity: 'critical',
    summary:
      'DRS recovery launch failed for source server s-12345678901234567 (job drsjob-12345678901234567)',
    evidence: {
      jobId: 'drsjob-12345678901234567',
      sourceServerId: 's-12345678901234567',
      isDrillFlag: 'FALSE',
    },
    dryRun: false,
    correlationId: '9da9af57-9253-4406-87cb-7cc400e43465',
    ...overrides,
  };
}

function transition(
  overrides: Partial<WorkloadTransition> = {},
  causeOverrides: Partial<Observation> = {},
): WorkloadTransition {
  const ref = { ...resource(1), id: 's-12345678901234567' };
  return {
    id: 't0000000007',
    workload: 'payments',
    from: 'READY',
    to: 'NOT_READY',
    at: '2026-11-22T10:15:00.000Z',
    trigger: {
      resourceKey: `${ref.type}#${ref.id}`,
      resource: ref,
      state: 'NOT_READY',
      since: '2026-11-22T10:15:00.000Z',
      cause: cause(causeOverrides),
    },
    dryRun: causeOverrides.dryRun ?? false,
    ...overrides,
  };
}

describe('toSubject', () => {
  it.each([
    { input: 'short subject', expected: 'short subject' },
    { input: 'line one\nline two\r\nthree\ttab', expected: 'line one line two three tab' },
    { input: `[NOT READY] prod/payments: ${'x'.repeat(200)}`, length: SUBJECT_MAX_CHARS },
    { input: `${'é'.repeat(150)}`, length: SUBJECT_MAX_CHARS },
    { input: `zero\u200bwidth\u0007bell`, expected: 'zero width bell' },
  ])('makes "$input" a valid SNS subject', ({ input, expected, length }) => {
    // Act
    const subject = toSubject(input);
    // Assess
    expect(Array.from(subject).length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    if (expected) expect(subject).toBe(expected);
    if (length) {
      expect(Array.from(subject).length).toBe(length);
      expect(subject.endsWith('…')).toBe(true);
    }
  });
});

describe('renderTransitionMessage', () => {
  it("counts every resource from the workload's counts when only its worst are listed", () => {
    // Prepare: a workload of 1,000 resources of which 40 are open; the store read the worst 30
    const listed = Array.from({ length: 30 }, (_, index) =>
      view(index + 1, index < 10 ? 'NOT_READY' : 'AT_RISK'),
    );
    const stateCounts = { READY: 960, AT_RISK: 25, UNKNOWN: 5, NOT_READY: 10 };
    // Act
    const message = renderTransitionMessage(transition(), listed, context, stateCounts);
    // Assess
    expect(message.body).toContain('1000 resource(s): 960 ready, 25 at risk, 5 unknown, 10 not ready.');
    expect(message.body).toContain('RESOURCES NOT READY (40 of 1000)');
    expect(message.body).toContain('… and 15 more: run "npm run status" or read the JSON below.');
    const json = extractJsonBlock(message.body) as {
      counts: Record<string, number>;
      resources: unknown[];
      omittedResources: number;
    };
    expect(json.counts).toEqual({ ...stateCounts, total: 1000 });
    expect(json.resources).toHaveLength(30);
    expect(json.omittedResources).toBe(970);
  });

  it('says what changed, the evidence, since when, the next step and the runbook section', () => {
    // Prepare
    const resources = [
      view(1, 'READY'),
      view(2, 'READY'),
      { ...view(3, 'NOT_READY'), key: 'drs-source-server#s-12345678901234567' },
    ];
    // Act
    const message = renderTransitionMessage(transition(), resources, context);
    // Assess
    expect(message.subject).toBe('[NOT READY] prod/payments: recovery launch failed for s-12345678901234567');
    expect(message.body).toContain(
      'Workload prod/payments is NOT READY (was READY) since 2026-11-22T10:15:00.000Z.',
    );
    expect(message.body).toContain('WHAT CHANGED');
    expect(message.body).toContain('EVIDENCE');
    expect(message.body).toContain('jobId: drsjob-12345678901234567');
    expect(message.body).toContain('SINCE');
    expect(message.body).toContain('NEXT STEP\nOpen DRS job drsjob-12345678901234567');
    expect(message.body).toContain('RUNBOOK\nhttps://example.com/README.md#runbook-recovery-launch-failed');
    expect(message.body).not.toContain('[DRY-RUN]');
  });

  it.each([
    { state: 'NOT_READY', severity: 'critical' },
    { state: 'AT_RISK', severity: 'warning' },
    { state: 'UNKNOWN', severity: 'warning' },
    { state: 'READY', severity: 'info' },
  ] as { state: ReadinessState; severity: string }[])(
    'carries filterable attributes for $state (severity $severity)',
    ({ state, severity }) => {
      // Act
      const message = renderTransitionMessage(
        transition({ to: state, from: 'AT_RISK' }),
        [view(1, state)],
        context,
      );
      // Assess
      expect(message.attributes).toMatchObject({
        severity,
        workload: 'payments',
        state,
        region: 'us-west-2',
        kind: 'transition',
      });
      expect(message.subject.startsWith(`[${state.replace('_', ' ')}] prod/payments: `)).toBe(true);
    },
  );

  it('does not ask about an earlier problem in the first report of a workload', () => {
    // Act
    const first = renderTransitionMessage(
      transition({ from: undefined, to: 'READY' }, { state: 'READY' }),
      [view(1, 'READY')],
      context,
    );
    const recovered = renderTransitionMessage(
      transition({ from: 'NOT_READY', to: 'READY' }, { state: 'READY' }),
      [view(1, 'READY')],
      context,
    );
    // Assess
    expect(first.body).toContain('(first report)');
    expect(first.body).not.toContain('earlier problem');
    expect(first.body).toContain('This is its first report');
    expect(recovered.body).toContain('Check that the cause of the earlier problem is understood.');
  });

  it('leaves evidence fields without a value out of the text, and keeps them in the JSON', () => {
    // Act
    const message = renderTransitionMessage(
      transition({}, { evidence: { jobId: 'drsjob-1', validator: null, checks: 'ok' } }),
      [view(1, 'NOT_READY')],
      context,
    );
    // Assess
    expect(message.body).toContain('jobId: drsjob-1');
    expect(message.body).not.toContain('validator: null');
    expect(message.body).toContain('"validator": null');
  });

  it('marks a dry-run change in the subject and the body', () => {
    // Act
    const message = renderTransitionMessage(
      transition({}, { dryRun: true }),
      [view(1, 'NOT_READY')],
      context,
    );
    // Assess
    expect(message.subject.startsWith('[DRY-RUN] [NOT READY] prod/payments')).toBe(true);
    expect(message.body.startsWith('[DRY-RUN]')).toBe(true);
    expect(message.attributes.dryRun).toBe('true');
  });

  it("says that the workload dr-autopilot is dr-autopilot's own check of the DRS service, not a user workload", () => {
    // Prepare: the replication monitor's drs-service finding, as the publisher holds it
    const service: ResourceRef = {
      type: 'drs-service',
      id: 'us-west-2',
      region: 'us-west-2',
      account: '111122223333',
      name: 'AWS Elastic Disaster Recovery',
    };
    const reason = 'DRS not initialised in us-west-2';
    const serviceView: ResourceView = {
      ...view(1, 'NOT_READY'),
      key: 'drs-service#us-west-2',
      resource: service,
      reason,
      runbook: 'runbook-drs-not-initialized',
    };
    const change = transition({
      workload: 'dr-autopilot',
      from: undefined,
      trigger: {
        resourceKey: 'drs-service#us-west-2',
        resource: service,
        state: 'NOT_READY',
        since: '2026-11-22T10:15:00.000Z',
        cause: cause({
          reason,
          runbook: 'runbook-drs-not-initialized',
          signalType: 'Replication Status Changed',
        }),
      },
    });
    // Act
    const message = renderTransitionMessage(change, [serviceView], context);
    const digest = renderDigestMessage(
      {
        windowStart: '2026-11-21T07:00:00.000Z',
        at: '2026-11-22T07:00:00.000Z',
        workloads: [
          {
            workload: 'dr-autopilot',
            state: 'NOT_READY',
            since: change.at,
            resources: [serviceView],
            changes: [],
          },
        ],
      },
      context,
    );
    // Assess
    expect(message.subject).toBe(`[NOT READY] prod/dr-autopilot: ${reason}`);
    expect(message.body).toContain(
      "This is not one of your workloads: it is dr-autopilot's own check of the DRS service (AWS Elastic Disaster Recovery) in us-west-2 for the deployment prod.",
    );
    expect(message.body).toContain('README.md#runbook-drs-not-initialized');
    expect(digest.body).toContain("prod/dr-autopilot (dr-autopilot's own check of the DRS service) since");
  });

  it.each([
    ['names a section the runbook lacks', { runbook: 'runbook-replication-lag' }],
    ['names an empty section', { runbook: '' }],
  ])(
    'links to the general runbook section when the signal %s, never to a dead anchor',
    (_case, overrides) => {
      // Act
      const message = renderTransitionMessage(transition({}, overrides), [view(1, 'NOT_READY')], context);
      // Assess
      expect(message.body).toContain('RUNBOOK\nhttps://example.com/README.md#runbook-readiness\n');
      expect(extractJsonBlock(message.body)).toMatchObject({
        runbook: 'https://example.com/README.md#runbook-readiness',
      });
    },
  );

  it('gives a next step when the signal gives a blank one', () => {
    // Act
    const message = renderTransitionMessage(
      transition({}, { nextStep: '  ' }),
      [view(1, 'NOT_READY')],
      context,
    );
    // Assess
    expect(message.body).toContain(
      'NEXT STEP\nOpen the resources listed below in the console and check their replication and recovery settings.\n',
    );
  });

  it('has a machine-readable JSON block', () => {
    // Act
    const message = renderTransitionMessage(transition(), [view(1, 'READY'), view(2, 'NOT_READY')], context);
    // Assess
    expect(extractJsonBlock(message.body)).toMatchObject({
      kind: 'transition',
      workload: 'payments',
      state: 'NOT_READY',
      previousState: 'READY',
      counts: { READY: 1, NOT_READY: 1, total: 2 },
      trigger: { observation: { evidence: { jobId: 'drsjob-12345678901234567' } } },
      omittedResources: 0,
    });
  });

  it.each([300, 1_000, 5_000])(
    'stays within SNS limits with %i resources, summarising instead of cutting JSON',
    (count) => {
      // Prepare: long ids make every entry big
      const resources = Array.from({ length: count }, (_, index) =>
        view(index, index % 3 === 0 ? 'NOT_READY' : 'AT_RISK', 400),
      );
      // Act
      const message = renderTransitionMessage(transition(), resources, context);
      // Assess
      expect(messageBytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      const json = extractJsonBlock(message.body) as {
        resources: unknown[];
        omittedResources: number;
        counts: { total: number };
      };
      expect(json.resources.length + json.omittedResources).toBe(count);
      expect(json.counts.total).toBe(count);
      expect(json.omittedResources).toBeGreaterThan(0);
      expect(message.body).toMatch(/… and \d+ more/);
    },
  );

  it('keeps every resource when they fit', () => {
    // Prepare
    const resources = Array.from({ length: 300 }, (_, index) => view(index, 'AT_RISK'));
    // Act
    const message = renderTransitionMessage(transition({ to: 'AT_RISK' }), resources, context);
    // Assess
    const json = extractJsonBlock(message.body) as { resources: unknown[]; omittedResources: number };
    expect(json.resources).toHaveLength(300);
    expect(json.omittedResources).toBe(0);
    expect(messageBytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
  });
});

describe('renderDigestMessage', () => {
  it('lists every workload, what changed and the oldest open problem', () => {
    // Prepare
    const old = { ...view(9, 'NOT_READY'), since: '2026-11-20T08:00:00.000Z', reason: 'restore test failed' };
    const digest = {
      windowStart: '2026-11-21T07:00:00.000Z',
      at: '2026-11-22T07:00:00.000Z',
      workloads: [
        {
          workload: 'orders',
          state: 'READY' as const,
          since: '2026-11-01T00:00:00.000Z',
          resources: [view(1, 'READY')],
          changes: [],
        },
        {
          workload: 'payments',
          state: 'NOT_READY' as const,
          since: '2026-11-20T08:00:00.000Z',
          resources: [view(2, 'AT_RISK'), old],
          changes: [{ at: '2026-11-21T09:00:00.000Z', from: 'AT_RISK' as const, to: 'NOT_READY' as const }],
        },
      ],
    };
    // Act
    const message = renderDigestMessage(digest, context);
    // Assess
    expect(message.subject).toBe('[DIGEST] prod: 1 of 2 workload(s) not ready, worst NOT READY');
    expect(message.body).toContain('OLDEST OPEN PROBLEM\nprod/payments: drs-source-server');
    expect(message.body).toContain('restore test failed');
    expect(message.body).toContain('- 2026-11-21T09:00:00.000Z prod/payments: AT RISK → NOT READY');
    expect(message.attributes).toMatchObject({ kind: 'digest', severity: 'critical', state: 'NOT_READY' });
    expect(extractJsonBlock(message.body)).toMatchObject({ kind: 'digest', omittedWorkloads: 0 });
  });

  it('stays within SNS limits with 2,000 workloads', () => {
    // Prepare
    const workloads = Array.from({ length: 2_000 }, (_, index) => ({
      workload: `workload-${index}-${'w'.repeat(100)}`,
      state: 'AT_RISK' as const,
      since: '2026-11-20T08:00:00.000Z',
      resources: [view(index, 'AT_RISK', 200), view(index + 1, 'READY')],
      changes: [{ at: '2026-11-21T09:00:00.000Z', from: 'READY' as const, to: 'AT_RISK' as const }],
    }));
    // Act
    const message = renderDigestMessage({ windowStart: 'a', at: 'b', workloads }, context);
    // Assess
    expect(messageBytes(message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    const json = extractJsonBlock(message.body) as { workloads: unknown[]; omittedWorkloads: number };
    expect(json.workloads.length + json.omittedWorkloads).toBe(2_000);
    expect(json.omittedWorkloads).toBeGreaterThan(0);
  });
});
