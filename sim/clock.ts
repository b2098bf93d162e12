/**
 * Simulated time. Scenarios span minutes to hours (RPO sweeps, damping, restore windows) but run in seconds:
 * a `wait` step moves this process's clock forward. Everything in the process that reads the time — the
 * production handlers (`new Date()`), Powertools idempotency (`Date.now()`), the simulated services — sees the
 * same shifted clock; timers (`setTimeout`) are not affected. Installed once, when the simulator starts.
 */
const RealDate = Date;
let offsetMs = 0;
let installed = false;

export function installSimClock(): void {
  if (installed) return;
  installed = true;
  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return RealDate.now() + offsetMs;
    }

    /** Dates made before the clock was installed are still Dates. */
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  globalThis.Date = SimDate as DateConstructor;
}

/** Moves simulated time forward. */
export function advanceClock(ms: number): void {
  if (ms < 0) throw new Error('time only moves forward');
  offsetMs += ms;
}

/** Moves simulated time forward to `at` (ms since the epoch), if it is not there yet. */
export function advanceClockTo(at: number): void {
  const ms = at - Date.now();
  if (ms > 0) advanceClock(ms);
}

/** Back to real time (between scenarios). */
export function resetClock(): void {
  offsetMs = 0;
}
