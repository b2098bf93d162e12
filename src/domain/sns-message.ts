import { type ReadinessState, SERVICE_WORKLOAD } from '../../events/dr-autopilot/signal.ts';
import { renderChatNotification } from './chat-message.ts';
import {
  type Evidence,
  type Observation,
  type ResourceRef,
  STATE_RANK,
  severityOf,
  type WorkloadTransition,
  worstOf,
} from './readiness.ts';
import { runbookAnchorOf } from './runbook.ts';

/**
 * What on-call receives through SNS (DESIGN.md §4): a subject under 100 characters with no line breaks, an
 * email-readable body (what changed, evidence, since when, next step, runbook section), a machine-readable
 * JSON block, and message attributes for subscription filter policies. Whatever the number of resources,
 * a message stays within SNS's 256 KiB (body + attributes): lists are summarised ("… and 288 more"), and
 * the JSON block drops whole entries (counted in `omittedResources`), never text mid-JSON.
 */

/** SNS's limit for a message and its attributes (262,144 bytes). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** What our messages aim for: the limit less room for SNS's own envelope and the subject. */
export const MESSAGE_BUDGET_BYTES = 250_000;
/** SNS: "less than 100 characters". */
export const SUBJECT_MAX_CHARS = 99;
export const JSON_BEGIN = '--- BEGIN dr-autopilot JSON ---';
export const JSON_END = '--- END dr-autopilot JSON ---';
const TEXT_LIST_LIMIT = 25;
const EVIDENCE_ENTRIES = 30;
const EVIDENCE_VALUE_CHARS = 500;

export interface MessageContext {
  /** The deployment's stage (`prod`), shown as `prod/<workload>`. */
  stage: string;
  region: string;
  /** Where the runbook sections live; the anchor is appended (`docs/runbook.md#runbook-…`). */
  runbookUrl: string;
  /**
   * Also render each message for chat channels (an Amazon Q Developer in chat applications custom
   * notification, see `chat-message.ts`), sent to the topic's HTTPS subscribers (stage parameter
   * `chatNotifications`).
   */
  chat?: boolean | undefined;
}

/** A resource as the message shows it (the readiness store's current view). */
export interface ResourceView {
  key: string;
  resource: ResourceRef;
  state: ReadinessState;
  since: string;
  reason: string;
  nextStep?: string | undefined;
  runbook?: string | undefined;
  observedAt: string;
  /** A downgrade seen but not yet confirmed (damping), if any. */
  pendingState?: ReadinessState | undefined;
}

export interface NotificationMessage {
  subject: string;
  body: string;
  attributes: Record<string, string>;
  /** The chat rendering (JSON text), when the context asks for it. */
  chat?: string | undefined;
}

/** Chat notifications by state: an emoji every chat platform shows. */
const STATE_EMOJI: Readonly<Record<ReadinessState, string>> = {
  READY: '🟢',
  AT_RISK: '🟠',
  UNKNOWN: '⚪',
  NOT_READY: '🔴',
};

/**
 * With a chat rendering, SNS receives one JSON message with a body per protocol (`MessageStructure: json`):
 * HTTPS subscribers (Amazon Q Developer in chat applications subscribes over HTTPS) get the chat JSON, every
 * other protocol (email, SQS, Lambda…) the text body (`default`). Without, the text body as is.
 */
export function snsMessageOf(message: Pick<NotificationMessage, 'body' | 'chat'>): {
  message: string;
  structure: 'json' | undefined;
} {
  return message.chat === undefined
    ? { message: message.body, structure: undefined }
    : { message: JSON.stringify({ default: message.body, https: message.chat }), structure: 'json' };
}

export const STATE_LABEL: Readonly<Record<ReadinessState, string>> = {
  READY: 'READY',
  AT_RISK: 'AT RISK',
  UNKNOWN: 'UNKNOWN',
  NOT_READY: 'NOT READY',
};

/** SNS subject rules: printable, one line, under 100 characters (code points), ellipsis when cut. */
export function toSubject(text: string): string {
  const clean = text
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(clean);
  if (chars.length <= SUBJECT_MAX_CHARS) return clean;
  return `${chars
    .slice(0, SUBJECT_MAX_CHARS - 1)
    .join('')
    .trimEnd()}…`;
}

/** Bytes SNS counts: the message (every protocol's body) plus every attribute's name, type and value. */
export function messageBytes(message: Pick<NotificationMessage, 'body' | 'attributes' | 'chat'>): number {
  let bytes = Buffer.byteLength(snsMessageOf(message).message, 'utf8');
  for (const [name, value] of Object.entries(message.attributes)) {
    bytes +=
      Buffer.byteLength(name, 'utf8') +
      Buffer.byteLength('String', 'utf8') +
      Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

/** The JSON block embedded in a body, parsed (for subscribers, tests and the simulator). */
export function extractJsonBlock(body: string): unknown {
  const start = body.indexOf(JSON_BEGIN);
  const end = body.indexOf(JSON_END);
  if (start < 0 || end < start) throw new Error('no dr-autopilot JSON block in the message');
  return JSON.parse(body.slice(start + JSON_BEGIN.length, end));
}

function oneLine(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`;
}

/** Resources listed in a chat message (chat is for a glance; the email and `npm run status` have them all). */
const CHAT_LIST_LIMIT = 10;

/** A resource as chat metadata names it: its ARN, else `<type>/<id>`. */
function resourceName(resource: ResourceRef): string {
  return resource.arn ?? `${resource.type}/${resource.id}`;
}

/** The command that shows a workload's table (or every workload's). */
function statusCommand(context: MessageContext, workload?: string): string {
  return `npm run status -- --stage ${context.stage} --region ${context.region}${workload ? ` --workload ${workload}` : ''}`;
}

function describe(resource: ResourceRef): string {
  return `${resource.type} ${resource.id}${resource.name ? ` (${resource.name})` : ''}`;
}

/** A link to a runbook section that exists: one the signal named, or the general one (none, unknown, blank). */
function runbookLink(context: MessageContext, anchor: string | undefined): string {
  return `${context.runbookUrl}#${runbookAnchorOf(anchor)}`;
}

/** A next step worth a line: `undefined` when blank, so the caller's fallback applies. */
function stepOf(text: string | undefined): string | undefined {
  return text?.trim() ? text : undefined;
}

function evidenceEntries(evidence: Evidence): [string, string | number | boolean | null][] {
  return Object.entries(evidence)
    .slice(0, EVIDENCE_ENTRIES)
    .map(([key, value]) => [
      oneLine(key, 100),
      typeof value === 'string' ? oneLine(value, EVIDENCE_VALUE_CHARS) : value,
    ]);
}

/** Worst first, then the oldest problem first. */
function byConcern(a: ResourceView, b: ResourceView): number {
  return (
    STATE_RANK[b.state] - STATE_RANK[a.state] || a.since.localeCompare(b.since) || a.key.localeCompare(b.key)
  );
}

function counts(resources: readonly ResourceView[]): Record<ReadinessState | 'total', number> {
  const result = { READY: 0, AT_RISK: 0, UNKNOWN: 0, NOT_READY: 0, total: resources.length };
  for (const resource of resources) result[resource.state] += 1;
  return result;
}

function tallyOf(
  stateCounts: Readonly<Record<ReadinessState, number>>,
): Record<ReadinessState | 'total', number> {
  const { READY, AT_RISK, UNKNOWN, NOT_READY } = stateCounts;
  return { READY, AT_RISK, UNKNOWN, NOT_READY, total: READY + AT_RISK + UNKNOWN + NOT_READY };
}

function resourceLine(view: ResourceView): string {
  return oneLine(
    `- ${STATE_LABEL[view.state].padEnd(9)} ${describe(view.resource)}, since ${view.since}: ${view.reason}`,
    300,
  );
}

function compactResource(view: ResourceView) {
  return {
    type: view.resource.type,
    id: view.resource.id,
    ...(view.resource.name ? { name: view.resource.name } : {}),
    ...(view.resource.arn ? { arn: view.resource.arn } : {}),
    state: view.state,
    since: view.since,
    reason: view.reason,
    ...(view.pendingState ? { pendingState: view.pendingState } : {}),
  };
}

/**
 * Fits `build(k)` (a body listing `k` entries in its JSON block) into the budget: the largest `k` whose
 * message is within it. `build` must grow with `k`.
 */
function fitEntries(
  total: number,
  attributes: Record<string, string>,
  build: (included: number) => string,
  chat?: string,
): string {
  const fits = (k: number) => messageBytes({ body: build(k), attributes, chat }) <= MESSAGE_BUDGET_BYTES;
  if (fits(total)) return build(total);
  let low = 0;
  let high = total;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return build(low);
}

function jsonBlock(value: unknown): string {
  return `${JSON_BEGIN}\n${JSON.stringify(value, null, 1)}\n${JSON_END}`;
}

function observationJson(observation: Observation) {
  return {
    signalType: observation.signalType,
    signalId: observation.signalId,
    observedAt: observation.observedAt,
    state: observation.state,
    reason: observation.reason,
    summary: observation.summary,
    ...(observation.nextStep ? { nextStep: observation.nextStep } : {}),
    ...(observation.runbook ? { runbook: observation.runbook } : {}),
    severity: observation.severity,
    dryRun: observation.dryRun,
    correlationId: observation.correlationId,
    evidence: Object.fromEntries(evidenceEntries(observation.evidence)),
  };
}

/**
 * For the reserved workload of dr-autopilot's own checks: what it is, so on-call does not take it for one of
 * theirs. `undefined` for any other workload.
 */
function serviceNote(
  workload: string,
  resources: readonly Pick<ResourceView, 'resource'>[],
  context: MessageContext,
): string | undefined {
  if (workload !== SERVICE_WORKLOAD) return undefined;
  const regions = [
    ...new Set(
      resources.filter((view) => view.resource.type === 'drs-service').map((view) => view.resource.id),
    ),
  ].sort();
  const where = regions.length > 0 ? regions.join(' and ') : context.region;
  return `This is not one of your workloads: it is dr-autopilot's own check of the DRS service (AWS Elastic Disaster Recovery) in ${where} for the deployment ${context.stage}.`;
}

/** `<stage>/<workload>/<transition id>/<time the workload entered the state>`: one per transition, ever. */
export function transitionKey(stage: string, transition: Pick<WorkloadTransition, 'workload' | 'id' | 'at'>) {
  return `${stage}/${transition.workload}/${transition.id}/${transition.at}`;
}

/**
 * The message for one workload transition. `resources` is the workload's resources as the store holds
 * them when the message is sent; with `stateCounts` (how many resources the workload has in each state, as
 * its item holds them), only some of them: the worst (the publisher reads a bounded number of its open
 * resources, whatever the workload's size), and the counts say how many there are in all.
 */
export function renderTransitionMessage(
  transition: WorkloadTransition,
  resources: readonly ResourceView[],
  context: MessageContext,
  stateCounts?: Readonly<Record<ReadinessState, number>>,
): NotificationMessage {
  const { workload, from, to, trigger } = transition;
  const cause = trigger.cause;
  const sorted = [...resources].sort(byConcern);
  const open = sorted.filter((view) => view.state !== 'READY');
  const inTarget = sorted.filter((view) => view.state === to);
  const tally = stateCounts ? tallyOf(stateCounts) : counts(resources);
  const openTotal = stateCounts ? tally.total - tally.READY : open.length;
  const inTargetTotal = stateCounts ? tally[to] : inTarget.length;
  const severity = severityOf(to);
  const dryRun = transition.dryRun;
  // The resource that moved the workload explains it, unless it left the workload (then those that remain do).
  const explains = trigger.state === to && !trigger.retired;
  const primary = explains ? { reason: cause.reason, key: trigger.resourceKey } : (inTarget[0] ?? undefined);
  const others = stateCounts
    ? Math.max(0, inTargetTotal - (primary ? 1 : 0))
    : inTarget.filter((view) => view.key !== primary?.key).length;

  const note = serviceNote(workload, [trigger, ...resources], context);
  let headline: string;
  // dr-autopilot's own check says what it checked, ready or not (`DRS initialised and answering in us-west-2`).
  if (note && explains) headline = cause.reason;
  else if (to === 'READY')
    headline = from
      ? `recovered, all ${tally.total} resources ready (was ${STATE_LABEL[from]})`
      : `now tracked: ${tally.total} resource(s) ready`;
  else
    headline = `${primary?.reason ?? `${inTargetTotal} resource(s) ${STATE_LABEL[to]}`}${others > 0 ? ` (+${others} more)` : ''}`;
  const subject = toSubject(
    `${dryRun ? '[DRY-RUN] ' : ''}[${STATE_LABEL[to]}] ${context.stage}/${workload}: ${headline}`,
  );

  const attributes: Record<string, string> = {
    severity,
    workload,
    state: to,
    region: context.region,
    kind: 'transition',
    stage: context.stage,
    dryRun: String(dryRun),
    // What subscribers deduplicate on: the same for every send of this transition, different for any other
    // (the id counts within the workload; the time it entered the state tells apart a workload made anew).
    transitionId: transitionKey(context.stage, transition),
  };

  const nextStepSource = to === 'READY' ? undefined : explains ? cause : sorted[0];
  const nextStep =
    to === 'READY'
      ? !from
        ? 'Nothing to do: every resource of this workload is ready. This is its first report: dr-autopilot tracks it from now on.'
        : 'Nothing to do: every resource of this workload is ready. Check that the cause of the earlier problem is understood.'
      : (stepOf(nextStepSource?.nextStep) ??
        'Open the resources listed below in the console and check their replication and recovery settings.');
  const runbook = runbookLink(
    context,
    to === 'READY' ? 'runbook-readiness' : explains ? cause.runbook : sorted[0]?.runbook,
  );

  const whatChanged = oneLine(
    trigger.retired
      ? `${describe(trigger.resource)} no longer counts in this workload since ${trigger.since} (it was ${STATE_LABEL[trigger.state]}): ${cause.reason}`
      : `${describe(trigger.resource)} is ${STATE_LABEL[trigger.state]} since ${trigger.since}: ${cause.reason}`,
    700,
  );
  const status = `Workload ${context.stage}/${workload} is ${STATE_LABEL[to]}${from ? ` (was ${STATE_LABEL[from]})` : ' (first report)'} since ${transition.at}.`;
  const dryRunNote = 'This change comes from a dry-run deployment or action: nothing was changed in AWS.';
  const head = [
    `${dryRun ? `[DRY-RUN] ${dryRunNote}\n\n` : ''}${status}`,
    `Region ${context.region}. Severity ${severity}. ${tally.total} resource(s): ${tally.READY} ready, ${tally.AT_RISK} at risk, ${tally.UNKNOWN} unknown, ${tally.NOT_READY} not ready.`,
    ...(note ? [note] : []),
    '',
    'WHAT CHANGED',
    whatChanged,
    from
      ? `The workload went from ${STATE_LABEL[from]} to ${STATE_LABEL[to]}.`
      : `This is the first readiness report for this workload.`,
    '',
    'EVIDENCE',
    oneLine(cause.summary, 600),
    `Signal "${cause.signalType}" observed ${cause.observedAt} (correlation id ${cause.correlationId}).`,
    // For people, fields without a value (`null`: a fact the detector did not have) are left out; the JSON keeps them.
    ...evidenceEntries(cause.evidence)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => `  ${key}: ${String(value)}`),
    '',
    'SINCE',
    `${STATE_LABEL[to]} since ${transition.at}.`,
    '',
    'NEXT STEP',
    oneLine(nextStep, 600),
    '',
    'RUNBOOK',
    runbook,
    '',
    openTotal > 0
      ? `RESOURCES NOT READY (${openTotal} of ${tally.total})`
      : `RESOURCES (${tally.total}, all ready)`,
    ...open.slice(0, TEXT_LIST_LIMIT).map(resourceLine),
    ...(openTotal > Math.min(open.length, TEXT_LIST_LIMIT)
      ? [
          `… and ${openTotal - Math.min(open.length, TEXT_LIST_LIMIT)} more: run "npm run status" or read the JSON below.`,
        ]
      : []),
    '',
  ].join('\n');

  const chat = context.chat
    ? JSON.stringify(
        renderChatNotification({
          id: `${context.stage}/${workload}/${transition.id}`,
          title: `${STATE_EMOJI[to]} ${subject}`,
          description: [
            ...(dryRun ? [`[DRY-RUN] ${dryRunNote}`] : []),
            `${status} Region ${context.region}, severity ${severity}.`,
            ...(note ? [note] : []),
            '',
            `What changed: ${whatChanged}`,
            `Evidence: ${cause.summary}`,
            '',
            openTotal > 0
              ? `Not ready (${openTotal} of ${tally.total}):`
              : `All ${tally.total} resource(s) ready.`,
            ...open.slice(0, CHAT_LIST_LIMIT).map((view) => `• ${resourceLine(view).slice(2)}`),
            ...(openTotal > Math.min(open.length, CHAT_LIST_LIMIT)
              ? [`… and ${openTotal - Math.min(open.length, CHAT_LIST_LIMIT)} more.`]
              : []),
          ],
          nextSteps: [nextStep, `Runbook: ${runbook}`, statusCommand(context, workload)],
          keywords: [
            STATE_LABEL[to],
            severity,
            `${context.stage}/${workload}`,
            context.region,
            ...(dryRun ? ['DRY-RUN'] : []),
          ],
          threadId: `dr-autopilot/${context.stage}/${workload}`,
          summary: subject,
          eventType: 'dr-autopilot-readiness-transition',
          relatedResources: [trigger, ...open].map((item) => resourceName(item.resource)),
          additionalContext: {
            stage: context.stage,
            region: context.region,
            workload,
            state: to,
            previousState: from ?? 'none',
            severity,
            transitionId: transition.id,
            dryRun: String(dryRun),
          },
        }),
      )
    : undefined;

  const body = fitEntries(
    sorted.length,
    attributes,
    (included) =>
      [
        head,
        jsonBlock({
          schema: 'dr-autopilot/readiness-notification',
          version: 1,
          kind: 'transition',
          transitionId: transition.id,
          stage: context.stage,
          region: context.region,
          workload,
          state: to,
          previousState: from ?? null,
          since: transition.at,
          severity,
          dryRun,
          runbook,
          nextStep,
          trigger: {
            resource: trigger.resource,
            state: trigger.state,
            since: trigger.since,
            observation: observationJson(cause),
          },
          counts: tally,
          resources: sorted.slice(0, included).map(compactResource),
          omittedResources: tally.total - included,
        }),
        '',
      ].join('\n'),
    chat,
  );
  return { subject, body, attributes, ...(chat ? { chat } : {}) };
}

/** One workload in the daily digest. */
export interface DigestWorkload {
  workload: string;
  state: ReadinessState;
  since: string;
  resources: ResourceView[];
  /** Workload transitions in the digest's window, oldest first. */
  changes: { at: string; from: ReadinessState | null; to: ReadinessState }[];
}

/** The daily digest: every workload's state, what changed in the window, the oldest open problem. */
export function renderDigestMessage(
  digest: { windowStart: string; at: string; workloads: DigestWorkload[] },
  context: MessageContext,
): NotificationMessage {
  const workloads = [...digest.workloads].sort(
    (a, b) => STATE_RANK[b.state] - STATE_RANK[a.state] || a.workload.localeCompare(b.workload),
  );
  const worst = worstOf(workloads.map((w) => w.state)) ?? 'READY';
  const notReady = workloads.filter((w) => w.state !== 'READY');
  const openProblems = workloads.flatMap((w) =>
    w.resources.filter((r) => r.state !== 'READY').map((r) => ({ workload: w.workload, view: r })),
  );
  const oldest = openProblems.sort((a, b) => a.view.since.localeCompare(b.view.since))[0];
  const changeCount = workloads.reduce((sum, w) => sum + w.changes.length, 0);

  const subject = toSubject(
    workloads.length === 0
      ? `[DIGEST] ${context.stage}: no workloads tracked yet`
      : notReady.length === 0
        ? `[DIGEST] ${context.stage}: all ${workloads.length} workload(s) READY, ${changeCount} change(s) in 24h`
        : `[DIGEST] ${context.stage}: ${notReady.length} of ${workloads.length} workload(s) not ready, worst ${STATE_LABEL[worst]}`,
  );
  const attributes: Record<string, string> = {
    severity: severityOf(worst),
    workload: '*',
    state: worst,
    region: context.region,
    kind: 'digest',
    stage: context.stage,
    dryRun: 'false',
  };
  const oldestLine = oldest
    ? oneLine(
        `${context.stage}/${oldest.workload}: ${describe(oldest.view.resource)} ${STATE_LABEL[oldest.view.state]} since ${oldest.view.since}: ${oldest.view.reason}`,
        600,
      )
    : 'none: every resource is ready.';
  const head = [
    `Daily readiness digest for ${context.stage} in ${context.region}, ${digest.at} (changes since ${digest.windowStart}).`,
    '',
    'OLDEST OPEN PROBLEM',
    oldestLine,
    ...(oldest
      ? [
          `Next step: ${oneLine(stepOf(oldest.view.nextStep) ?? 'see the runbook', 500)}`,
          `Runbook: ${runbookLink(context, oldest.view.runbook)}`,
        ]
      : []),
    '',
    `WORKLOADS (${workloads.length})`,
    ...workloads.slice(0, 100).map((w) => {
      const tally = counts(w.resources);
      const own = w.workload === SERVICE_WORKLOAD ? " (dr-autopilot's own check of the DRS service)" : '';
      return oneLine(
        `- ${STATE_LABEL[w.state].padEnd(9)} ${context.stage}/${w.workload}${own} since ${w.since}; ${tally.total} resource(s), ${tally.total - tally.READY} not ready; ${w.changes.length} change(s) in the window`,
        300,
      );
    }),
    ...(workloads.length > 100
      ? [`… and ${workloads.length - 100} more workloads (see the JSON below).`]
      : []),
    '',
    'WHAT CHANGED',
    ...(changeCount === 0
      ? ['Nothing changed in the window.']
      : workloads
          .flatMap((w) =>
            w.changes.map(
              (c) =>
                `- ${c.at} ${context.stage}/${w.workload}: ${c.from ? STATE_LABEL[c.from] : 'new'} → ${STATE_LABEL[c.to]}`,
            ),
          )
          .slice(0, 50)),
    ...(changeCount > 50 ? [`… and ${changeCount - 50} more changes (see the JSON below).`] : []),
    '',
  ].join('\n');

  const chat = context.chat
    ? JSON.stringify(
        renderChatNotification({
          id: `${context.stage}/digest/${digest.at}`,
          title: `📋 ${subject}`,
          description: [
            `Daily readiness digest for ${context.stage} in ${context.region}, ${digest.at}: ${changeCount} change(s) since ${digest.windowStart}.`,
            `Oldest open problem: ${oldestLine}`,
            '',
            ...(notReady.length > 0
              ? [
                  `Not ready (${notReady.length} of ${workloads.length}):`,
                  ...notReady
                    .slice(0, CHAT_LIST_LIMIT)
                    .map((w) => `• ${STATE_LABEL[w.state]} ${context.stage}/${w.workload} since ${w.since}`),
                  ...(notReady.length > CHAT_LIST_LIMIT
                    ? [`… and ${notReady.length - CHAT_LIST_LIMIT} more.`]
                    : []),
                ]
              : [`All ${workloads.length} workload(s) ready.`]),
          ],
          nextSteps: oldest
            ? [
                stepOf(oldest.view.nextStep) ?? 'See the runbook.',
                `Runbook: ${runbookLink(context, oldest.view.runbook)}`,
                statusCommand(context),
              ]
            : [statusCommand(context)],
          keywords: ['DIGEST', STATE_LABEL[worst], context.stage, context.region],
          summary: subject,
          eventType: 'dr-autopilot-readiness-digest',
          relatedResources: oldest ? [resourceName(oldest.view.resource)] : [],
          additionalContext: {
            stage: context.stage,
            region: context.region,
            state: worst,
            severity: severityOf(worst),
            workloads: String(workloads.length),
            notReady: String(notReady.length),
          },
        }),
      )
    : undefined;

  const body = fitEntries(
    workloads.length,
    attributes,
    (included) =>
      [
        head,
        jsonBlock({
          schema: 'dr-autopilot/readiness-digest',
          version: 1,
          kind: 'digest',
          stage: context.stage,
          region: context.region,
          at: digest.at,
          windowStart: digest.windowStart,
          state: worst,
          oldestOpenProblem: oldest ? { workload: oldest.workload, ...compactResource(oldest.view) } : null,
          workloads: workloads.slice(0, included).map((w) => {
            const open = w.resources.filter((r) => r.state !== 'READY').sort(byConcern);
            return {
              workload: w.workload,
              state: w.state,
              since: w.since,
              counts: counts(w.resources),
              changes: w.changes.slice(-20),
              openResources: open.slice(0, 20).map(compactResource),
              omittedOpenResources: Math.max(0, open.length - 20),
            };
          }),
          omittedWorkloads: workloads.length - included,
        }),
        '',
      ].join('\n'),
    chat,
  );
  return { subject, body, attributes, ...(chat ? { chat } : {}) };
}
