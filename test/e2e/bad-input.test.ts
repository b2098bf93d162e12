import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawMutation, routes, runBadInput, sampleBases, seeded } from '../../sim/bad-input.ts';
import { Simulator } from '../../sim/simulator.ts';
import { PRIMARY_TEMPLATE_PATH, TEMPLATE_PATH } from '../helpers/package.ts';

/**
 * The bad-input suite at a small size (`npm run bench -- badinput` runs thousands): mutated sample events through
 * the real handlers of the simulated deployment; each must end in an error naming the field, a `skipped`
 * outcome, or the unmutated event's own answer (a field the handler does not read), with no side effect.
 */
describe('bad input through the real handlers', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await Simulator.start({ templatePath: TEMPLATE_PATH, primaryTemplatePath: PRIMARY_TEMPLATE_PATH });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('reaches every function that takes events, from every sample', () => {
    const all = routes(sim);
    const functions = new Set(all.map((route) => route.fn.shortName));

    expect([...functions].sort()).toEqual(sim.recovery.deployment.functions.map((fn) => fn.shortName).sort());
    expect(all.filter((route) => route.base.origin.startsWith('events/')).length).toBeGreaterThan(10);
    expect(all.filter((route) => route.base.origin.startsWith('sim/scenarios/')).length).toBeGreaterThan(3);
  });

  it('draws the same mutations from the same seed', () => {
    const event = routes(sim)[0]?.base.event ?? {};
    const draw = (seed: number) => {
      const random = seeded(seed);
      return Array.from({ length: 20 }, () => drawMutation(event, random).label);
    };

    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('ends every mutated input in an error naming the field or a skip, never a side effect', async () => {
    // Act
    const report = await runBadInput(sim, { size: 150, seed: 14 });

    // Assess
    expect(report.failures).toEqual([]);
    expect(report.inputs).toBe(150);
    expect(report.verdicts['error-naming-field']).toBeGreaterThan(75);
    expect(report.results.InvalidEventError).toBeGreaterThan(0);
    expect(report.results.ForeignEventError).toBeGreaterThan(0);
    expect(report.sideEffects).toBe(0);
  });

  it.each(['replicationMonitor', 'restoreValidation'])(
    '%s refuses a schedule whose rule is in another partition, before any call',
    async (name) => {
      // Prepare
      await sim.reset();
      const fn = sim.functionNamed(name);
      const event = {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: sim.world.account,
        time: '2026-11-29T12:00:00Z',
        region: sim.world.recoveryRegion,
        resources: [`arn:aws-cn:events:${sim.world.recoveryRegion}:${sim.world.account}:rule/sweep`],
        detail: {},
      };

      // Act
      const result = await sim.lambda.invoke(fn?.logicalId ?? name, event);

      // Assess
      expect(result.error?.errorType).toBe('ForeignEventError');
      expect(result.error?.errorMessage).toContain('resources[0] is in partition "aws-cn"');
      expect(sim.world.calls).toEqual([]);
    },
  );

  /** Open findings of the full-size run (seed 14), now refused by the contracts before any AWS call. */
  it.each([
    ['a NUL', (arn: string) => `${arn}\u0000`],
    ['a right-to-left override', (arn: string) => `\u202e${arn}`],
  ])(
    'restoreValidation refuses a restore job whose resource ARN holds %s, before any call',
    async (_what, change) => {
      // Prepare
      await sim.reset();
      const fn = sim.functionNamed('restoreValidation');
      const base = sampleBases(sim.world.account, sim.world.recoveryRegion).find((b) =>
        b.origin.endsWith('restore-job-state-change.completed.json'),
      );
      const event = structuredClone(base?.event ?? {});
      event.id = crypto.randomUUID();
      event.resources = [change((event.resources as string[])[0] as string)];

      // Act
      const result = await sim.lambda.invoke(fn?.logicalId ?? 'restoreValidation', event);

      // Assess
      expect(result.error?.errorType).toBe('InvalidEventError');
      expect(result.error?.errorMessage).toContain('resources.0: must not hold control');
      expect(sim.world.calls).toEqual([]);
    },
  );

  it('alarmReadiness refuses an alarm event whose ARN no longer names its alarm, with no effect', async () => {
    // Prepare
    await sim.reset();
    const fn = sim.functionNamed('alarmReadiness');
    const alarmName = 'dr-autopilot:payments:replica-lag';
    const event: Record<string, unknown> = {
      ...(sampleBases(sim.world.account, sim.world.recoveryRegion).find((b) =>
        b.origin.endsWith('alarm-state-change.single-metric.json'),
      )?.event ?? {}),
      id: crypto.randomUUID(),
      resources: [`arn:aws:cloudwatch:${sim.world.recoveryRegion}:${sim.world.account}:alarm:${alarmName}🔥`],
    };
    event.detail = { ...(event.detail as Record<string, unknown>), alarmName };

    // Act
    const result = await sim.lambda.invoke(fn?.logicalId ?? 'alarmReadiness', event);

    // Assess
    expect(result.error?.errorType).toBe('InvalidEventError');
    expect(result.error?.errorMessage).toContain(
      'resources.0: must be the ARN of the alarm in detail.alarmName',
    );
    expect(sim.world.calls).toEqual([]);
  });
});
