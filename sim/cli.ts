import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkService, formatProblem, readLayout, resolveService } from '../scripts/config-check.ts';
import { buildEvidenceReport, renderMarkdown } from '../src/domain/evidence-report.ts';
import { renderReport } from './render.ts';
import { canRun, listScenarios, runScenario, type ScenarioReport } from './scenario-runner.ts';
import { Simulator, statusCommand } from './simulator.ts';
import { rehearsalParams } from './template.ts';
import { SIM_PRIMARY_REGION, SIM_RECOVERY_REGION, SIM_STAGE } from './world.ts';

/**
 * `npm start`: a DR rehearsal on the embedded simulated AWS (a Region pair: primary us-east-1, recovery
 * us-west-2, the deployment running in both).
 *   npm start                         the default rehearsal (every scenario the deployment can run)
 *   npm start -- --scenario failover  one scenario
 *   npm start -- --list               the scenarios
 *   npm start -- --json               the reports as JSON (for scripts)
 *   npm start -- --verbose            also show events no rule matched
 *   npm start -- --keep               keep the simulated AWS up afterwards, for `npm run status` (it reads the
 *                                     recovery Region's readiness table)
 *   npm start -- --report FILE        also write the auditor's report (`npm run report`'s Markdown) over the
 *                                     evidence ledger of every scenario run
 *   npm start -- --param='name=value' rehearse with your own stage parameters (as for `osls deploy`, over the
 *                                     rehearsal's; checked first, as `npm run check-config` does). Scenarios
 *                                     expect the rehearsal's settings: yours may make some fail, which is the point
 * Exits 1 when an expectation fails. No network, no credentials: every AWS endpoint is local.
 */

const HELP = `usage: npm start -- [--scenario NAME]... [--list] [--json] [--verbose] [--keep] [--report FILE] [--param='name=value']...`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true, short: 's' },
      list: { type: 'boolean', short: 'l' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      keep: { type: 'boolean', short: 'k' },
      report: { type: 'string' },
      param: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const scenarios = listScenarios();
  if (values.list && !values.json) {
    for (const scenario of scenarios) {
      console.log(
        `${scenario.name.padEnd(28)} ${scenario.title}${scenario.requires.length ? `  (needs ${scenario.requires.join(', ')})` : ''}`,
      );
    }
    return 0;
  }
  const wanted = values.scenario ?? [];
  const unknown = wanted.filter((name) => !scenarios.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; try --list`);
    return 2;
  }

  const rehearsed = rehearsedParams(values.param ?? []);
  if (!rehearsed.ok) {
    console.error(rehearsed.refused);
    return rehearsed.code;
  }
  const { params } = rehearsed;
  const log = values.json ? () => undefined : (line: string) => console.error(line);
  const sim = await Simulator.start({ log, params });
  try {
    if (values.list) {
      console.log(
        JSON.stringify(
          scenarios.map((scenario) => ({
            name: scenario.name,
            title: scenario.title,
            requires: scenario.requires,
            runnable: canRun(scenario, sim),
          })),
          null,
          2,
        ),
      );
      return 0;
    }
    const selected =
      wanted.length > 0
        ? scenarios.filter((scenario) => wanted.includes(scenario.name))
        : scenarios.filter((scenario) => canRun(scenario, sim));
    const skipped = wanted.length > 0 ? [] : scenarios.filter((scenario) => !canRun(scenario, sim));
    if (!values.json) {
      console.log(
        `dr-autopilot DR rehearsal — simulated account ${sim.world.account}, primary ${sim.world.primaryRegion}, recovery ${sim.world.recoveryRegion}`,
      );
      const deployed = [...sim.regions.values()].map(
        (region) => [region.name, region.deployment.functions.map((fn) => fn.shortName).join(', ')] as const,
      );
      if (deployed.every(([, functions]) => functions === deployed[0]?.[1])) {
        console.log(`deployed functions (both Regions): ${deployed[0]?.[1] ?? ''}`);
      } else {
        for (const [region, functions] of deployed)
          console.log(`deployed functions in ${region}: ${functions}`);
      }
    }
    const reports: ScenarioReport[] = [];
    for (const scenario of selected) {
      const report = await runScenario(sim, scenario);
      reports.push(report);
      if (!values.json) console.log(renderReport(report, { verbose: values.verbose ?? false }));
    }
    const failed = reports.filter((report) => !report.passed);
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            passed: failed.length === 0,
            reports,
            notRun: skipped.map((scenario) => ({ name: scenario.name, requires: scenario.requires })),
          },
          null,
          2,
        ),
      );
    } else {
      console.log('');
      for (const scenario of skipped) {
        console.log(
          `· ${scenario.name}: not run (needs ${scenario.requires.filter((name) => !sim.functionNamed(name)).join(', ')}, not deployed)`,
        );
      }
      const evidence = reports.flatMap((report) => report.evidence);
      console.log(
        `evidence ledger: ${evidence.length} record(s) written by the functions and the tools, ${new Set(evidence.map((record) => record.workload)).size} workload(s)${values.report ? `; the auditor's report: ${values.report}` : " (npm start -- --report FILE writes the auditor's report)"}`,
      );
      if (values.report) await writeFile(values.report, rehearsalReport(reports));
      console.log(
        `${failed.length === 0 ? 'REHEARSAL PASSED' : 'REHEARSAL FAILED'}: ${reports.length - failed.length} of ${reports.length} scenario(s) passed${failed.length ? ` (failed: ${failed.map((report) => report.name).join(', ')})` : ''}`,
      );
    }
    if (values.keep && !values.json) await keepForStatus(sim);
    return failed.length === 0 ? 0 : 1;
  } finally {
    await sim.close();
  }
}

/**
 * The `--param` options as stage parameters, checked for both simulated deployments the way `npm run check-config`
 * checks a real one, or why not: a usage error (exit 2) or the check's lines (exit 1). The Region pair is the
 * simulator's.
 */
function rehearsedParams(
  options: readonly string[],
): { ok: true; params: Record<string, string> } | { ok: false; refused: string; code: 1 | 2 } {
  const params: Record<string, string> = {};
  for (const option of options) {
    const groups = /(?<name>[^=]+)=(?<value>.+)/.exec(option)?.groups;
    if (!groups?.name || groups.value === undefined) {
      return { ok: false, refused: `usage: --param='<name>=<value>', not ${option}`, code: 2 };
    }
    if (groups.name === 'primaryRegion' || groups.name === 'recoveryRegion') {
      return {
        ok: false,
        refused: `the rehearsal's Region pair is ${SIM_PRIMARY_REGION} and ${SIM_RECOVERY_REGION}; --param=${groups.name} cannot change it`,
        code: 2,
      };
    }
    params[groups.name] = groups.value.trimEnd();
  }
  if (Object.keys(params).length === 0) return { ok: true, params };
  const layout = readLayout();
  const cliParams = rehearsalParams(SIM_PRIMARY_REGION, SIM_RECOVERY_REGION, params);
  const lines = [SIM_PRIMARY_REGION, SIM_RECOVERY_REGION].flatMap((region) =>
    checkService(resolveService(layout, { stage: SIM_STAGE, region, cliParams }), layout).map(formatProblem),
  );
  if (lines.length === 0) return { ok: true, params };
  return {
    ok: false,
    refused: `The rehearsal's deployment would not start with these parameters:\n${[...new Set(lines)].map((line) => `  ✗ ${line}`).join('\n')}`,
    code: 1,
  };
}

/**
 * The auditor's report over the ledgers of every scenario (each scenario starts from an empty world, so the
 * records are tagged with their scenario): the period is the rehearsal's simulated time.
 */
function rehearsalReport(reports: readonly ScenarioReport[]): string {
  const records = reports.flatMap((report) =>
    report.evidence.map((record) => ({
      ...record,
      // Each scenario's ids start afresh: keep records of two scenarios apart.
      id: `${report.name}/${record.id}`,
      details: { ...record.details, scenario: report.name },
    })),
  );
  const times = records.flatMap((record) => [Date.parse(record.occurredAt), Date.parse(record.recordedAt)]);
  const first = Math.min(...times.filter(Number.isFinite));
  const last = Math.max(...times.filter(Number.isFinite));
  const report = buildEvidenceReport(records, {
    since: new Date(Number.isFinite(first) ? first : Date.now()),
    until: new Date((Number.isFinite(last) ? last : Date.now()) + 1000),
    now: new Date((Number.isFinite(last) ? last : Date.now()) + 1000),
  });
  const note = [
    `> **Rehearsal.** Produced by \`npm start -- --report FILE\` from the offline rehearsal: the functions and tools wrote`,
    `> these records to the simulated evidence ledgers of both Regions while ${reports.length} scenario(s) played. Each scenario`,
    '> starts from an empty world at the same simulated start, so records of different scenarios interleave in time, and',
    '> "overdue" counts from the end of the last one. On AWS, `npm run report` reads the deployed ledgers and produces the',
    '> same document; its columns are explained in docs/evidence.md.',
    '',
  ];
  return `${note.join('\n')}\n${renderMarkdown(report)}`;
}

/** Leaves the simulated AWS up and says how to read the recovery Region's readiness table with `npm run status`. */
async function keepForStatus(sim: Simulator): Promise<void> {
  console.log(
    `\nThe simulated AWS stays up (Ctrl-C to stop). The recovery Region's readiness table, as on-call would read it:\n  ${statusCommand(sim)}`,
  );
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
