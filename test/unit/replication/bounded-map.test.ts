import { describe, expect, it } from 'vitest';
import { boundedMap } from '../../../src/app/bounded-map.ts';

/** A task that resolves when the test says so, so concurrency is observed, not timed. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached before the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('boundedMap', () => {
  it('keeps the input order in its results', async () => {
    const results = await boundedMap([30, 10, 20], 2, async (value, index) => {
      await new Promise((resolve) => setImmediate(resolve));
      return `${index}:${value}`;
    });

    expect(results).toEqual(['0:30', '1:10', '2:20']);
  });

  it.each([1, 3, 10])('never has more than %d calls in flight', async (limit) => {
    let inFlight = 0;
    let peak = 0;
    await boundedMap(
      Array.from({ length: 25 }, (_, index) => index),
      limit,
      async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
      },
    );

    expect(peak).toBe(limit);
  });

  it('starts the next call as soon as one finishes', async () => {
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const done = boundedMap([0, 1, 2], 2, async (index) => {
      started.push(index);
      await gates[index]?.opened;
      return index;
    });

    await until(() => started.length === 2);
    expect(started).toEqual([0, 1]);
    gates[1]?.open();
    await until(() => started.length === 3);
    gates[0]?.open();
    gates[2]?.open();

    await expect(done).resolves.toEqual([0, 1, 2]);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];

    const result = boundedMap(
      Array.from({ length: 10 }, (_, index) => index),
      2,
      async (index) => {
        started.push(index);
        await new Promise((resolve) => setImmediate(resolve));
        if (index === 1) throw new Error('ThrottlingException');
        return index;
      },
    );

    await expect(result).rejects.toThrow('ThrottlingException');
    expect(started.length).toBeLessThanOrEqual(3);
  });

  it('handles an empty input', async () => {
    await expect(boundedMap([], 10, async () => 1)).resolves.toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a concurrency of %s', async (limit) => {
    await expect(boundedMap([1], limit, async () => 1)).rejects.toThrow(RangeError);
  });
});
