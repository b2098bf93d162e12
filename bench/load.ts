import { mkdirSync, writeFileSync } from 'node:fs';
import { runLoad } from '../sim/load.ts';
import { Simulator } from '../sim/simulator.ts';

/**
 * `npm run bench -- load`: `LOAD_EVENTS` (default 10,000) mixed events through the simulator's router (see
 * sim/load.ts). Prints and writes the figures to bench/results/load.json; exits non-zero if an event was neither
 * processed nor dead-lettered. No assertion on time: compare runs on the same machine.
 */
export async function runLoadBench(): Promise<Record<string, unknown>> {
  const events = Number(process.env.LOAD_EVENTS ?? 10_000);
  const sim = await Simulator.start();
  try {
    const report = await runLoad(sim, { events, seed: Number(process.env.LOAD_SEED ?? 1) });
    console.table({
      events: report.events,
      processed: report.processed,
      'dead-lettered': report.deadLettered,
      lost: report.lost,
      'events/s': report.eventsPerSecond,
      'handler p50 ms': report.handlerMs.p50,
      'handler p99 ms': report.handlerMs.p99,
      'DynamoDB requests/event': report.dynamoRequestsPerEvent,
      'peak heap MB': report.peakHeapMb,
      'max RSS MB': report.maxRssMb,
    });
    console.table(report.handlerMsByFunction);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/load.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
    if (report.lost > 0) process.exitCode = 1;
    return { ...report };
  } finally {
    await sim.close();
  }
}
