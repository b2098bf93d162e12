import { mkdirSync, writeFileSync } from 'node:fs';
import { runFaultRate } from '../sim/fault-rate.ts';
import { Simulator } from '../sim/simulator.ts';

/**
 * `npm run bench -- faults`: the fault-rate suite at full size: every scenario of sim/scenarios × `FAULTS_SEEDS`
 * seeds (default 8: seeds 1…8), faults at `FAULTS_RATE` (default 0.2) of the deployed functions' calls, with
 * `FAULTS_RETRY_AFTER` seconds of Retry-After on throttles (default 1). Prints the faults injected, the
 * invariants' figures and every violation (with its scenario, seed and call trail), writes them to
 * bench/results/faults.json, and exits non-zero on a violation.
 */
export async function runFaultsBench(): Promise<Record<string, unknown>> {
  const rate = Number(process.env.FAULTS_RATE ?? 0.2);
  const seedCount = Number(process.env.FAULTS_SEEDS ?? 8);
  const seeds = Array.from({ length: seedCount }, (_, index) => index + 1);
  const sim = await Simulator.start();
  try {
    const report = await runFaultRate(sim, {
      rate,
      seeds,
      retryAfterSeconds: process.env.FAULTS_RETRY_AFTER,
      onRun: (run) =>
        console.log(
          `  seed ${run.seed} ${run.scenario}: ${run.calls} calls, ${Object.values(run.faults).reduce((a, b) => a + b, 0)} faults, ${run.invariants.inputs.deadLettered} dead-lettered, ${run.invariants.violations.length} violation(s), ${(run.wallMs / 1000).toFixed(1)} s`,
        ),
    });
    console.table(report.faults);
    console.table(report.faultsByService);
    console.table({ inputs: report.inputs, signals: report.signals });
    console.table(report.sideEffects);
    console.table(report.duplicates);
    console.log(
      `${report.runs} runs (${seeds.length} seeds × ${report.runs / seeds.length} scenarios) at rate ${rate}: ${report.calls} calls, ${Object.values(report.faults).reduce((a, b) => a + b, 0)} faults, ${report.violations.length} violation(s), ${(report.wallMs / 1000).toFixed(0)} s`,
    );
    for (const violation of report.violations.slice(0, 20))
      console.log('VIOLATION', JSON.stringify(violation));
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/faults.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
    if (report.violations.length > 0) process.exitCode = 1;
    const { violations, ...figures } = report;
    return { ...figures, violations: violations.length };
  } finally {
    await sim.close();
  }
}
