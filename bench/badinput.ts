import { mkdirSync, writeFileSync } from 'node:fs';
import { runBadInput } from '../sim/bad-input.ts';
import { Simulator } from '../sim/simulator.ts';

/**
 * `npm run bench -- badinput`: the bad-input suite at full size (`BADINPUT_SIZE`, default 3,000 inputs; seed
 * `BADINPUT_SEED`, default 14) on a simulator packaged for the occasion. Prints the counts, writes them (and
 * every failure, with its input) to bench/results/badinput.json, and exits non-zero on a failure.
 */
export async function runBadInputBench(): Promise<Record<string, unknown>> {
  const size = Number(process.env.BADINPUT_SIZE ?? 3000);
  const seed = Number(process.env.BADINPUT_SEED ?? 14);
  const sim = await Simulator.start();
  try {
    const report = await runBadInput(sim, {
      size,
      seed,
      onProgress: (done) => {
        if (done % 500 === 0) console.log(`  ${done} inputs`);
      },
    });
    console.table(report.verdicts);
    console.table(report.results);
    console.log(
      `${report.inputs} inputs from ${report.bases} bases, ${report.failures.length} failure(s), ${report.sideEffects} side effect(s) on bad input, ${report.skipSignals} skip signal(s), ${(report.wallMs / 1000).toFixed(1)} s`,
    );
    for (const failure of report.failures.slice(0, 20)) console.log('FAILURE', JSON.stringify(failure));
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(
      new URL('./results/badinput.json', import.meta.url),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    if (report.failures.length > 0) process.exitCode = 1;
    const { failures, ...figures } = report;
    return { ...figures, failures: failures.length };
  } finally {
    await sim.close();
  }
}
