import { describe, expect, it } from 'vitest';
import {
  isTransientAwsError,
  pauseBefore,
  persistUntilDeadline,
} from '../../../src/runtime/persist-until-deadline.ts';

/** An SDK service exception as the SDK deserialises it. */
function serviceError(name: string, fault: 'client' | 'server', status: number, headers = {}) {
  return Object.assign(new Error(`${name} (test)`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    $response: { headers },
  });
}

describe('persistUntilDeadline', () => {
  it('tells throttling, server faults and no answer from errors no retry fixes', () => {
    // Prepare
    const transient = [
      serviceError('ProvisionedThroughputExceededException', 'client', 400),
      serviceError('ThrottlingException', 'client', 400),
      serviceError('InternalServerError', 'server', 500),
      serviceError('TooManyRequestsException', 'client', 429),
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
    ];
    const permanent = [
      serviceError('ValidationException', 'client', 400),
      serviceError('AccessDeniedException', 'client', 400),
      serviceError('ResourceNotFoundException', 'client', 400),
    ];
    // Act
    const verdicts = [...transient, ...permanent].map(isTransientAwsError);
    // Assess
    expect(verdicts).toEqual([true, true, true, true, true, false, false, false]);
  });

  it('waits what a Retry-After asks, otherwise a jittered backoff that grows and is capped', () => {
    // Prepare
    const throttled = serviceError('ThrottlingException', 'client', 400, { 'Retry-After': '3' });
    const failed = serviceError('InternalServerError', 'server', 500);
    const top = () => 0.999_999;
    // Act
    const asked = pauseBefore(1, throttled, top);
    const growing = [1, 2, 3, 4, 10].map((attempt) => pauseBefore(attempt, failed, top));
    // Assess
    expect(asked).toBe(3_000);
    expect(growing).toEqual([99, 199, 399, 799, 1_999]);
  });

  it('retries until the time left would fall under the reserve, then lets the last error out', async () => {
    // Prepare: 10 s left, a 2 s reserve, pauses of 1 s on a clock the sleeps move
    let now = 0;
    let attempts = 0;
    const write = async () => {
      attempts += 1;
      throw serviceError('ThrottlingException', 'client', 400, { 'retry-after': '1' });
    };
    // Act
    const persisted = persistUntilDeadline(write, {
      remainingMs: () => 10_000 - now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    // Assess: attempts at 0…8 s; after the one at 8 s a pause would leave 1 s, under the reserve
    await expect(persisted).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(attempts).toBe(9);
    expect(now).toBe(8_000);
  });

  it('does not retry an error no retry fixes', async () => {
    // Prepare
    let attempts = 0;
    const write = async () => {
      attempts += 1;
      throw serviceError('ValidationException', 'client', 400);
    };
    // Act
    const persisted = persistUntilDeadline(write, { remainingMs: () => 60_000, sleep: async () => {} });
    // Assess
    await expect(persisted).rejects.toMatchObject({ name: 'ValidationException' });
    expect(attempts).toBe(1);
  });
});
