import { fitKeepingEnds } from '../src/app/readiness-status.ts';
import type { ReadinessRow } from './readiness.ts';
import type { ScenarioReport } from './scenario-runner.ts';
import { renderMessage } from './sns.ts';
import type { TimelineEntry } from './world.ts';

/**
 * The human-readable report of a scenario run: timeline, what on-call received, readiness, verdicts. The
 * recovery Region is the default: what happens in the primary Region is marked `[us-east-1]`, and its SNS
 * messages and readiness table are shown when it has any.
 */

const MARK = { pass: '✔', fail: '✘', 'not-checked': '·' } as const;

export function renderReport(report: ScenarioReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push('', `━━ ${report.title}  (${report.name})`, wrap(report.description, '   '), '');
  lines.push('Timeline', ...renderTimeline(report, options), '');
  const primary = Object.entries(report.regions ?? {}).find(([, region]) => region.role === 'primary');
  const primaryMessages = primary?.[1].snsMessages.length ?? 0;
  lines.push(
    `On-call received ${report.snsMessages.length} SNS message(s)${primaryMessages ? ` in the recovery Region, ${primaryMessages} in the primary Region (${primary?.[0]})` : ''}`,
  );
  if (report.snsMessages.length === 0 && !report.deployedFunctions.includes('readinessPublisher')) {
    lines.push('   (no readiness publisher is deployed yet: nothing talks to on-call)');
  }
  lines.push('');
  lines.push('Readiness', ...renderReadiness(report.readiness), '');
  if (primary && primary[1].readiness.length > 0) {
    lines.push(
      `Readiness in the primary Region (${primary[0]})`,
      ...renderReadiness(primary[1].readiness),
      '',
    );
  }
  lines.push('Expectations');
  for (const result of report.expectations) {
    lines.push(`  ${MARK[result.status]} ${result.description}: ${result.detail}`);
  }
  const failed = report.expectations.filter((result) => result.status === 'fail').length;
  const unchecked = report.expectations.filter((result) => result.status === 'not-checked').length;
  lines.push(
    '',
    `${report.passed ? 'PASSED' : 'FAILED'} ${report.name}: ${report.expectations.length - failed - unchecked} passed, ${failed} failed${unchecked ? `, ${unchecked} not checked (functions not deployed: ${report.missingFunctions.join(', ')})` : ''} — ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

function renderTimeline(report: ScenarioReport, options: { verbose?: boolean }): string[] {
  const lines: string[] = [];
  for (const entry of report.timeline) {
    const line = renderEntry(entry, report, options);
    if (line) lines.push(line);
  }
  return lines;
}

function renderEntry(
  entry: TimelineEntry,
  report: ScenarioReport,
  options: { verbose?: boolean },
): string | undefined {
  const line = renderItem(entry, report, options);
  if (line === undefined) return undefined;
  const marked = entry.region !== undefined && report.regions?.[entry.region]?.role === 'primary';
  return indentLines(marked ? markRegion(line, entry.region ?? '') : line, '    '.repeat(entry.depth ?? 0));
}

/** `[us-east-1] ` after the line's indentation and symbol (first line of a multi-line entry). */
function markRegion(text: string, region: string): string {
  const [first = '', ...rest] = text.split('\n');
  const lead = /^\s*(?:[▶⚡λ☁☠✘✔·⏰]\s|┌─\s)?/u.exec(first)?.[0] ?? '';
  return [`${lead}[${region}] ${first.slice(lead.length)}`, ...rest].join('\n');
}

function indentLines(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
}

function renderItem(
  entry: TimelineEntry,
  report: ScenarioReport,
  options: { verbose?: boolean },
): string | undefined {
  switch (entry.kind) {
    case 'step':
      return `  ▶ ${entry.text}`;
    case 'note':
      return `    ${entry.text}`;
    case 'event': {
      const where = entry.bus === 'default' ? '' : ` [${entry.bus}]`;
      const to =
        entry.targets.length > 0 ? ` → ${entry.targets.join(', ')}` : options.verbose ? ' → (no rule)' : '';
      if (
        entry.targets.length === 0 &&
        !options.verbose &&
        entry.source !== 'dr-autopilot' &&
        !entry.source.startsWith('aws.')
      ) {
        return undefined;
      }
      return `    ⚡ ${entry.source} "${entry.detailType}"${where}: ${entry.summary}${to}`;
    }
    case 'invoke':
      return `      λ ${entry.functionName}${entry.attempt > 1 ? ` (retry ${entry.attempt - 1})` : ''} ${entry.result === 'ok' ? '→' : '✘'} ${entry.summary}`;
    case 'call':
      return `      ☁ ${entry.service} ${entry.summary}: ${entry.result}`;
    case 'sns': {
      const messages =
        entry.region === undefined
          ? report.snsMessages
          : (report.regions?.[entry.region]?.snsMessages ?? report.snsMessages);
      const message = messages[entry.messageIndex];
      return message ? renderMessage(message, '      ', { full: options.verbose ?? false }) : undefined;
    }
    case 'dead-letter':
      return `      ☠ ${entry.queue}: ${entry.summary}`;
    case 'alarm':
      return `    ⏰ CloudWatch alarm ${entry.alarmName}: ${entry.from} → ${entry.to} (${entry.reason})`;
  }
}

export function renderReadiness(rows: ReadinessRow[]): string[] {
  if (rows.length === 0) return ['  (the readiness table is empty)'];
  const header = ['workload', 'resource', 'state', 'since', 'reason'];
  const body = rows.map((row) =>
    row.kind === 'workload'
      ? [row.workload, `(workload: ${row.resource})`, row.state, row.since, row.reason]
      : ['', row.resource, row.state, row.since, row.reason],
  );
  const widths = header.map((title, column) =>
    Math.min(60, Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length))),
  );
  // The resource column keeps both ends of an ARN (its type and name); the others are cut at the end.
  const fitCell = (cell: string, column: number) =>
    column === 1 ? fitKeepingEnds(cell, widths[column] ?? 0) : cell.slice(0, widths[column]);
  const format = (cells: string[]) =>
    `  ${cells.map((cell, column) => fitCell(cell, column).padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
  return [format(header), format(widths.map((width) => '─'.repeat(width))), ...body.map(format)];
}

function wrap(text: string, indent: string, width = 100): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}
