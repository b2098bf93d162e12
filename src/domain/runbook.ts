/**
 * The sections of the on-call runbook (docs/runbook.md, each opened by `<a id="…"></a>`) that messages may
 * link to. A signal names its section (`assessment.runbook`); one the runbook does not have, or none, links to
 * the general section instead of a dead anchor. test/contract/runbook.test.ts keeps this list and the runbook
 * equal, and checks that every anchor the code names is in it.
 */
export const RUNBOOK_ANCHORS = [
  'runbook-recovery-launch-failed',
  'runbook-recovered-but-unprotected',
  'runbook-recovery-unconfirmed',
  'runbook-reversed-replication',
  'runbook-replication-not-replicating',
  'runbook-replication-degraded',
  'runbook-replication-over-rpo',
  'runbook-replication-unknown',
  'runbook-drs-not-initialized',
  'runbook-ready-to-fail-back',
  'runbook-failed-back-not-re-protected',
  'runbook-lifecycle-protected',
  'runbook-failing-back',
  'runbook-failback-drill',
  'runbook-re-protected',
  'runbook-cleanup-pending',
  'runbook-failback-error',
  'runbook-drill-instance-running',
  'runbook-readiness',
  'runbook-readiness-unknown',
  'runbook-alarm',
  'runbook-machinery-dead-letters',
  'runbook-primary-region-alarm',
  'runbook-alarm-insufficient-data',
  'runbook-restore-failed',
  'runbook-restore-settings',
  'runbook-restore-slow',
] as const;
export type RunbookAnchor = (typeof RUNBOOK_ANCHORS)[number];

/** The general section: what a message links to when the signal named no section the runbook has. */
export const GENERAL_RUNBOOK_ANCHOR: RunbookAnchor = 'runbook-readiness';

const KNOWN: ReadonlySet<string> = new Set(RUNBOOK_ANCHORS);

/** `anchor` if the runbook has that section, else the general one. */
export function runbookAnchorOf(anchor: string | undefined): RunbookAnchor {
  const trimmed = anchor?.trim();
  return trimmed !== undefined && KNOWN.has(trimmed) ? (trimmed as RunbookAnchor) : GENERAL_RUNBOOK_ANCHOR;
}
