import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BusEvent, isRefreshBatch, type ReadinessState } from '../../events/dr-autopilot/signal.ts';
import { applyBusEvent, sweepReadiness } from '../../src/app/readiness.ts';
import { readinessEnvSchema, readinessPolicyFrom } from '../../src/app/readiness-config.ts';
import { resourceKey } from '../../src/domain/readiness.ts';
import { CapturingSignalPublisher } from '../fakes/signals.ts';
import { startDynalite } from '../helpers/dynalite.ts';
import {
  delivered,
  manualClock,
  minute,
  readinessDeps,
  recordingNotifier,
} from '../helpers/readiness-fixtures.ts';
import {
  MemoryMonitorState,
  PagedFakeDrs,
  REGION,
  scheduledSweep,
  serverId,
  sourceServer,
} from '../unit/replication/fakes.ts';

/**
 * The integration of two capabilities built apart: the replication monitor signals a resource when its
 * finding changes (and refreshes every unchanged one on a refresh sweep, every MONITOR_REFRESH_AFTER), the
 * readiness publisher turns a resource UNKNOWN when its newest evidence is older than READINESS_STALE_AFTER.
 * The real monitor use case (DRS faked in memory) runs its 5-minute sweeps over a server (unchanged and
 * healthy, or changing between refresh sweeps); every signal it emits goes,
 * as EventBridge would deliver it, into the real readiness use case against dynalite, whose sweep runs at
 * each step too. Both sides use their shipped defaults (PT30M and the publisher's own configuration).
 */
const REFRESH_AFTER_SECONDS = 30 * 60; // MONITOR_REFRESH_AFTER's default, PT30M
const SWEEP_MINUTES = 5; // replicationMonitorSchedule and readinessSweepSchedule: rate(5 minutes)

let dynalite: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.close();
});

/** The monitor and the publisher on one simulated clock, minutes after T0. */
async function pipeline(refreshAfterSeconds: number) {
  const clock = manualClock(minute(0));
  const notifier = recordingNotifier();
  const { deps: readiness } = await readinessDeps(dynalite.client, {
    clock,
    notifier,
    policy: readinessPolicyFrom(readinessEnvSchema.parse({})),
  });
  const drs = new PagedFakeDrs();
  drs.servers = [sourceServer(1)];
  const monitorState = new MemoryMonitorState();
  const signals = new CapturingSignalPublisher();
  let sweeps = 0;

  return {
    notifier,
    drs,
    /** One monitor sweep at `at` minutes; every event it emits (signal or refresh batch) is delivered to the publisher. */
    async monitorSweep(at: number): Promise<BusEvent[]> {
      clock.set(minute(at));
      // DRS keeps replicating: a fresh point-in-time snapshot a few minutes old, no lag, no backlog.
      drs.snapshotAt(1, minute(at - 3).toISOString());
      const emitted = await scheduledSweep(
        `sweep-${++sweeps}`,
        { drs, state: monitorState, signals, clock },
        { refreshAfterSeconds },
      );
      for (const event of emitted) await applyBusEvent(delivered(event, REGION), readiness);
      return emitted;
    },
    /** The publisher's sweep at `at` minutes; returns every resource's announced state. */
    async readinessSweep(at: number): Promise<Record<string, ReadinessState>> {
      clock.set(minute(at));
      await sweepReadiness(readiness);
      const states: Record<string, ReadinessState> = {};
      for (const workload of await readiness.store.listWorkloads()) {
        for (const { readiness: resource } of await readiness.store.listResources(workload.workload)) {
          states[resourceKey(resource.resource)] = resource.state;
        }
      }
      return states;
    },
  };
}

const SERVER = resourceKey({ type: 'drs-source-server', id: serverId(1) });
const DRS_SERVICE = resourceKey({ type: 'drs-service', id: REGION });
const minutes = (from: number, to: number) =>
  Array.from({ length: (to - from) / SWEEP_MINUTES + 1 }, (_, index) => from + index * SWEEP_MINUTES);

describe('readiness freshness: replication monitor → readiness publisher', () => {
  it('keeps an unchanged healthy server READY through an hour of sweeps, and turns it UNKNOWN once the monitor stops', async () => {
    // Prepare
    const run = await pipeline(REFRESH_AFTER_SECONDS);
    const statesWhileRunning: Record<number, Record<string, ReadinessState>> = {};
    const signalsPerSweep: Record<number, number> = {};
    const typesPerSweep: Record<number, string[]> = {};
    const statesAfterStop: Record<number, ReadinessState | undefined> = {};

    // Act: the monitor and the publisher sweep every 5 minutes for an hour...
    for (const at of minutes(0, 60)) {
      const emitted = await run.monitorSweep(at);
      signalsPerSweep[at] = emitted.length;
      if (emitted.length > 0) typesPerSweep[at] = [...new Set(emitted.map((event) => event.type))];
      statesWhileRunning[at] = await run.readinessSweep(at);
    }
    // ...then the monitor stops (its last signal was at minute 60) and only the publisher sweeps.
    for (const at of minutes(65, 130)) statesAfterStop[at] = (await run.readinessSweep(at))[SERVER];

    // Assess: READY at every step, the server and the DRS service alike
    for (const at of minutes(0, 60)) {
      expect({ at, states: statesWhileRunning[at] }).toEqual({
        at,
        states: { [SERVER]: 'READY', [DRS_SERVICE]: 'READY' },
      });
    }
    // Assess: signal on change (the first sweep), then every 30 minutes one refresh batch per workload (the
    // server's, the DRS service's), no more
    expect(signalsPerSweep).toEqual(
      Object.fromEntries(minutes(0, 60).map((at) => [at, at % 30 === 0 ? 2 : 0])),
    );
    expect(typesPerSweep).toEqual({
      0: ['Replication Status Changed'],
      30: ['Replication Status Refreshed'],
      60: ['Replication Status Refreshed'],
    });
    // Assess: a stopped monitor is noticed: UNKNOWN once its last evidence is more than an hour old
    expect(statesAfterStop).toEqual(
      Object.fromEntries(minutes(65, 130).map((at) => [at, at <= 120 ? 'READY' : 'UNKNOWN'])),
    );
    expect(run.notifier.sent.map((message) => message.subject.split(':')[0])).toEqual([
      '[READY] test/dr-autopilot',
      '[READY] test/payments',
      '[UNKNOWN] test/dr-autopilot',
      '[UNKNOWN] test/payments',
    ]);
  });

  it('keeps a server that changes between refresh sweeps fresh: refreshed with the rest, never UNKNOWN, over two hours', async () => {
    // Prepare: the server falls behind at minute 25 (AT_RISK, five minutes before a refresh sweep) and recovers at
    // minute 65 (five minutes after one); the refresh sweeps are 0, 30, 60, 90 and 120
    const run = await pipeline(REFRESH_AFTER_SECONDS);
    const server = run.drs.servers[0];
    const serverEvents: Record<number, string[]> = {};
    const states: Record<number, ReadinessState | undefined> = {};

    // Act
    for (const at of minutes(0, 120)) {
      if (server && at === 25) server.dataReplicationState = 'BACKLOG';
      if (server && at === 65) server.dataReplicationState = 'CONTINUOUS';
      const emitted = await run.monitorSweep(at);
      const about = emitted.filter((event) =>
        isRefreshBatch(event)
          ? event.detail.items.some((item) => item.resource.id === serverId(1))
          : event.detail.resource.id === serverId(1),
      );
      if (about.length > 0) serverEvents[at] = about.map((event) => event.type);
      states[at] = (await run.readinessSweep(at))[SERVER];
    }

    // Assess: each change signalled at once, and the server refreshed on every refresh sweep, 5 minutes after
    // its change too: never more than 30 minutes without a signal, so never UNKNOWN
    expect(serverEvents).toEqual({
      0: ['Replication Status Changed'],
      25: ['Replication Status Changed'],
      30: ['Replication Status Refreshed'],
      60: ['Replication Status Refreshed'],
      65: ['Replication Status Changed'],
      90: ['Replication Status Refreshed'],
      120: ['Replication Status Refreshed'],
    });
    expect(Object.values(states)).not.toContain('UNKNOWN');
    expect(states[120]).toBe('READY');
  });

  it('shows the defect the refresh fixes: signalling only on change, the same server goes UNKNOWN at minute 65', async () => {
    // Prepare: the monitor as it was before MONITOR_REFRESH_AFTER (never re-signals an unchanged finding)
    const run = await pipeline(Number.POSITIVE_INFINITY);
    const states: Record<number, ReadinessState | undefined> = {};

    // Act
    for (const at of minutes(0, 70)) {
      await run.monitorSweep(at);
      states[at] = (await run.readinessSweep(at))[SERVER];
    }

    // Assess
    expect(states).toEqual(
      Object.fromEntries(minutes(0, 70).map((at) => [at, at <= 60 ? 'READY' : 'UNKNOWN'])),
    );
  });
});
