import { describe, expect, it } from 'vitest';
import { ForeignEventError } from '../../../src/domain/errors.ts';
import {
  assertOwnEvent,
  decideReverseReplication,
  type ReverseReplicationDecision,
  type ReverseReplicationFacts,
  type ReverseReplicationPolicy,
  readDrillFlag,
} from '../../../src/domain/reverse-replication.ts';
import {
  failoverSourceServer,
  JOB_ID,
  RECOVERY_INSTANCE_ID,
  recoveryInstance,
  recoveryJob,
  SOURCE_SERVER_ID,
} from '../../fakes/drs.ts';

const policy: ReverseReplicationPolicy = {
  account: '111122223333',
  region: 'us-west-2',
  reverseFailbackInstances: false,
};

/** A real cross-Region recovery, every fact agreeing; each case changes one thing. */
function realRecovery(): ReverseReplicationFacts {
  return {
    event: {
      id: 'evt-1',
      account: '111122223333',
      region: 'us-west-2',
      state: 'RECOVERY_LAUNCH_SUCCEEDED',
      jobId: JOB_ID,
      isDrill: 'FALSE',
      sourceServerId: SOURCE_SERVER_ID,
    },
    job: recoveryJob(),
    sourceServer: failoverSourceServer(),
    recoveryInstances: [recoveryInstance()],
  };
}

/** The forward server's pairing with its FAILBACK-direction twin: AWS keeps it across cycles. */
const STALE_PAIRING = 'arn:aws:drs:us-east-1:111122223333:source-server/s-abcdefabcdefabcde';
const declaredUntil = (expiresAt: string) => ({
  workload: 'payments',
  declaredBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice',
  declaredAt: '2026-11-22T09:00:00Z',
  expiresAt,
});

type Case = [
  string,
  (facts: ReverseReplicationFacts) => void,
  Partial<ReverseReplicationPolicy>,
  ReverseReplicationDecision['action'],
  string?,
];

const OTHER_INSTANCE = 'i-0ffffffffffffffff';

const cases: Case[] = [
  ['a real cross-Region recovery', () => {}, {}, 'reverse'],
  [
    'is-drill "False" in another case still counts as not a drill',
    (f) => {
      f.event.isDrill = 'False';
    },
    {},
    'reverse',
  ],
  [
    'drill by event (TRUE)',
    (f) => {
      f.event.isDrill = 'TRUE';
    },
    {},
    'skip',
    'drill',
  ],
  [
    'drill by event (lower-case true)',
    (f) => {
      f.event.isDrill = 'true';
    },
    {},
    'skip',
    'drill',
  ],
  [
    'is-drill missing: in doubt',
    (f) => {
      f.event.isDrill = undefined;
    },
    {},
    'skip',
    'drill-flag-unknown',
  ],
  [
    'is-drill neither TRUE nor FALSE: in doubt',
    (f) => {
      f.event.isDrill = 'NO';
    },
    {},
    'skip',
    'drill-flag-unknown',
  ],
  [
    'drill by API only: job initiated by START_DRILL',
    (f) => {
      if (f.job) f.job.initiatedBy = 'START_DRILL';
    },
    {},
    'skip',
    'drill-by-api',
  ],
  [
    'drill by API only: recovery instance isDrill true',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({ isDrill: true });
    },
    {},
    'skip',
    'drill-by-api',
  ],
  [
    'recovery instance isDrill unset: in doubt, treated as drill',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({ isDrill: undefined });
    },
    {},
    'skip',
    'drill-by-api',
  ],
  [
    'job not found',
    (f) => {
      f.job = undefined;
    },
    {},
    'skip',
    'job-not-found',
  ],
  [
    'job initiated by the failback client (FAILBACK)',
    (f) => {
      if (f.job) f.job.initiatedBy = 'FAILBACK';
    },
    {},
    'skip',
    'not-a-recovery-job',
  ],
  [
    'job initiated by DIAGNOSTIC',
    (f) => {
      if (f.job) f.job.initiatedBy = 'DIAGNOSTIC';
    },
    {},
    'skip',
    'not-a-recovery-job',
  ],
  [
    'failback launch, re-protection not configured',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
    },
    {},
    'skip',
    'failback-launch',
  ],
  [
    'failback launch, re-protection configured, declared by a person',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.declaration = declaredUntil('2026-11-22T18:00:00Z');
    },
    { reverseFailbackInstances: true },
    'reverse',
  ],
  [
    'failback launch, re-protection configured, not declared (a failback drill looks the same)',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
    },
    { reverseFailbackInstances: true },
    'skip',
    'failback-undeclared',
  ],
  [
    'failback launch, re-protection configured, declaration expired',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      // the launch job was created at 09:55
      f.declaration = declaredUntil('2026-11-22T09:50:00Z');
    },
    { reverseFailbackInstances: true },
    'skip',
    'failback-undeclared',
  ],
  [
    'failback launch, declared only after the launch (a retried event comes later)',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.declaration = { ...declaredUntil('2026-11-22T18:00:00Z'), declaredAt: '2026-11-22T09:56:00Z' };
    },
    { reverseFailbackInstances: true },
    'skip',
    'failback-undeclared',
  ],
  [
    'failback launch, declared, launch time unknown: in doubt',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.declaration = declaredUntil('2026-11-22T18:00:00Z');
      if (f.job) f.job.creationDateTime = undefined;
    },
    { reverseFailbackInstances: true },
    'skip',
    'failback-undeclared',
  ],
  [
    'failback launch, declared, but re-protection not configured',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.declaration = declaredUntil('2026-11-22T18:00:00Z');
    },
    {},
    'skip',
    'failback-launch',
  ],
  [
    'failback drill by API, declared, re-protection configured: never in a drill',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.recoveryInstances[0] = recoveryInstance({ isDrill: true });
      f.declaration = declaredUntil('2026-11-22T18:00:00Z');
    },
    { reverseFailbackInstances: true },
    'skip',
    'drill-by-api',
  ],
  [
    'failback drill by event, re-protection configured: never in a drill',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.event.isDrill = 'TRUE';
    },
    { reverseFailbackInstances: true },
    'skip',
    'drill',
  ],
  [
    'failback drill by API, re-protection configured: never in a drill',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: 'FAILBACK' });
      f.recoveryInstances[0] = recoveryInstance({ isDrill: true });
    },
    { reverseFailbackInstances: true },
    'skip',
    'drill-by-api',
  ],
  [
    'on-premises origin',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({ originEnvironment: 'ON_PREMISES' });
    },
    {},
    'skip',
    'on-premises-origin',
  ],
  [
    'origin Region is this Region',
    (f) => {
      f.sourceServer = failoverSourceServer({ originRegion: 'us-west-2' });
    },
    {},
    'skip',
    'not-cross-region',
  ],
  [
    'server from another account, no stated policy',
    (f) => {
      f.sourceServer = failoverSourceServer({ originAccountId: '444455556666' });
    },
    {},
    'skip',
    'origin-account-not-allowed',
  ],
  [
    'server from another account that reversalOriginAccounts lists',
    (f) => {
      f.sourceServer = failoverSourceServer({ originAccountId: '444455556666' });
    },
    { originAccounts: ['444455556666'] },
    'reverse',
    undefined,
  ],
  [
    'origin account not reported by DRS: in doubt',
    (f) => {
      f.sourceServer = failoverSourceServer({ originAccountId: undefined });
    },
    { originAccounts: ['444455556666'] },
    'skip',
    'origin-account-not-allowed',
  ],
  [
    'origin Region unknown',
    (f) => {
      f.sourceServer = failoverSourceServer({ originRegion: undefined });
    },
    {},
    'skip',
    'not-cross-region',
  ],
  [
    'replication direction unknown',
    (f) => {
      f.sourceServer = failoverSourceServer({ replicationDirection: undefined });
    },
    {},
    'skip',
    'not-cross-region',
  ],
  [
    'source server not found',
    (f) => {
      f.sourceServer = undefined;
    },
    {},
    'skip',
    'source-server-not-found',
  ],
  [
    // AWS keeps the pairing across cycles: it says nothing about this launch's recovery instance.
    'second failover after a completed cycle: stale pairing ARN, this launch not yet reversed',
    (f) => {
      f.sourceServer = failoverSourceServer({ reversedDirectionSourceServerArn: STALE_PAIRING });
      // the first cycle's recovery instance, terminated at cleanup, may still be listed
      f.recoveryInstances.push(
        recoveryInstance({
          recoveryInstanceId: OTHER_INSTANCE,
          jobId: 'drsjob-aaaaaaaaaaaaaaaaa',
          ec2InstanceState: 'TERMINATED',
          dataReplicationState: 'DISCONNECTED',
          failbackState: 'FAILBACK_READY_FOR_LAUNCH',
        }),
      );
    },
    {},
    'reverse',
  ],
  [
    'real failover after a failback drill: stale pairing ARN, the drill pair still replicating',
    (f) => {
      f.sourceServer = failoverSourceServer({ reversedDirectionSourceServerArn: STALE_PAIRING });
      f.recoveryInstances.push(
        recoveryInstance({
          recoveryInstanceId: OTHER_INSTANCE,
          jobId: 'drsjob-ccccccccccccccccc',
          dataReplicationState: 'CONTINUOUS',
          failbackState: 'FAILBACK_READY_FOR_LAUNCH',
        }),
      );
    },
    {},
    'reverse',
  ],
  [
    'third failover: stale pairing ARN, two earlier instances',
    (f) => {
      f.sourceServer = failoverSourceServer({ reversedDirectionSourceServerArn: STALE_PAIRING });
      for (const [index, job] of ['drsjob-ddddddddddddddddd', 'drsjob-eeeeeeeeeeeeeeeee'].entries()) {
        f.recoveryInstances.push(
          recoveryInstance({
            recoveryInstanceId: `i-0${index}ffffffffffffff`,
            jobId: job,
            dataReplicationState: 'DISCONNECTED',
          }),
        );
      }
    },
    {},
    'reverse',
  ],
  [
    'already reversed: this launch’s instance is in failback (replication state not yet updated)',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({
        dataReplicationState: 'NOT_STARTED',
        failbackState: 'FAILBACK_IN_PROGRESS',
      });
    },
    {},
    'skip',
    'already-reversed',
  ],
  [
    'not yet reversed: failback state FAILBACK_NOT_STARTED',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({ failbackState: 'FAILBACK_NOT_STARTED' });
    },
    {},
    'reverse',
  ],
  [
    'already reversed: the instance already replicates',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({ dataReplicationState: 'INITIAL_SYNC' });
    },
    {},
    'skip',
    'already-reversed',
  ],
  [
    'no recovery instance from this job',
    (f) => {
      f.recoveryInstances[0] = recoveryInstance({ jobId: 'drsjob-aaaaaaaaaaaaaaaaa' });
      if (f.job) f.job.participatingServers = [];
    },
    {},
    'skip',
    'no-recovery-instance',
  ],
  [
    'the job names an instance DescribeRecoveryInstances does not show',
    (f) => {
      f.recoveryInstances = [];
    },
    {},
    'skip',
    'no-recovery-instance',
  ],
  [
    'failed launch',
    (f) => {
      f.event.state = 'RECOVERY_LAUNCH_FAILED';
    },
    {},
    'signal-launch-failed',
  ],
  [
    'failed drill launch still alerts',
    (f) => {
      f.event.state = 'RECOVERY_LAUNCH_FAILED';
      f.event.isDrill = 'TRUE';
    },
    {},
    'signal-launch-failed',
  ],
  [
    'unknown launch state',
    (f) => {
      f.event.state = 'DRILL_LAUNCH_SUCCEEDED';
    },
    {},
    'skip',
    'launch-state-unknown',
  ],
];

describe('decideReverseReplication', () => {
  it.each(cases)('%s', (_name, change, policyChange, action, reason) => {
    // Prepare
    const facts = realRecovery();
    change(facts);
    // Act
    const decision = decideReverseReplication(facts, { ...policy, ...policyChange });
    // Assess
    expect(decision.action).toBe(action);
    if (decision.action === 'skip') {
      expect(decision.reason).toBe(reason);
      expect(decision.explanation.length).toBeGreaterThan(0);
    }
    if (decision.action === 'reverse') expect(decision.recoveryInstanceIds).toEqual([RECOVERY_INSTANCE_ID]);
  });

  it('reverses only the instances of this launch that do not replicate yet', () => {
    const facts = realRecovery();
    facts.recoveryInstances.push(
      recoveryInstance({ recoveryInstanceId: OTHER_INSTANCE, dataReplicationState: 'CONTINUOUS' }),
    );
    facts.job?.participatingServers.push({
      sourceServerId: SOURCE_SERVER_ID,
      recoveryInstanceId: OTHER_INSTANCE,
    });

    const decision = decideReverseReplication(facts, policy);

    expect(decision).toEqual({
      action: 'reverse',
      direction: 'failover',
      recoveryInstanceIds: [RECOVERY_INSTANCE_ID],
      alreadyReplicating: [OTHER_INSTANCE],
    });
  });

  it('ignores recovery instances of earlier launches of the same server', () => {
    const facts = realRecovery();
    facts.recoveryInstances.push(
      recoveryInstance({
        recoveryInstanceId: OTHER_INSTANCE,
        jobId: 'drsjob-bbbbbbbbbbbbbbbbb',
        isDrill: true,
      }),
    );

    const decision = decideReverseReplication(facts, policy);

    expect(decision).toMatchObject({ action: 'reverse', recoveryInstanceIds: [RECOVERY_INSTANCE_ID] });
  });
});

describe('assertOwnEvent (rule 5)', () => {
  it.each([
    ['another account', { account: '444455556666', region: 'us-west-2' }],
    ['another Region', { account: '111122223333', region: 'eu-west-1' }],
    ['another account and Region', { account: '444455556666', region: 'eu-west-1' }],
  ])('rejects an event from %s', (_name, origin) => {
    expect(() => assertOwnEvent({ id: 'evt-1', ...origin }, policy)).toThrow(ForeignEventError);
  });

  it('accepts an event from its own account and Region', () => {
    expect(() =>
      assertOwnEvent({ id: 'evt-1', account: '111122223333', region: 'us-west-2' }, policy),
    ).not.toThrow();
  });
});

describe('readDrillFlag', () => {
  it.each([
    ['FALSE', 'not-drill'],
    ['false', 'not-drill'],
    ['False', 'not-drill'],
    // In doubt: whitespace, look-alike letters (ſ upper-cases to S; Cyrillic А; fullwidth Ｔ), other words
    [' False ', 'unknown'],
    ['FALSE\n', 'unknown'],
    ['fal\u017fe', 'unknown'],
    ['F\u0410LSE', 'unknown'],
    ['\uff34RUE', 'unknown'],
    ['FALSEY', 'unknown'],
    ['TRUE', 'drill'],
    ['true', 'drill'],
    ['', 'unknown'],
    ['0', 'unknown'],
    [undefined, 'unknown'],
  ] as const)('%j reads as %s', (flag, expected) => {
    expect(readDrillFlag(flag)).toBe(expected);
  });
});
