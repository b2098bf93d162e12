import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSignal, SIGNAL_TYPES, type Signal } from '../../../events/dr-autopilot/signal.ts';
import { createEventBridgeSignalPublisher } from '../../../src/adapters/eventbridge-signals.ts';
import { RetryableDependencyError } from '../../../src/domain/errors.ts';

const eventsMock = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'us-west-2' });

function signals(count: number): Signal[] {
  return Array.from({ length: count }, (_, index) =>
    createSignal({
      type: SIGNAL_TYPES.replicationStatusChanged,
      resource: {
        type: 'drs-source-server',
        id: `s-${index}`,
        arn: `arn:aws:drs:us-west-2:111122223333:source-server/s-${index}`,
        region: 'us-west-2',
        account: '111122223333',
      },
      observedAt: '2026-11-22T10:00:00Z',
      severity: 'info',
      summary: `server ${index}`,
      evidence: {},
      dryRun: false,
      correlationId: 'sweep-1',
    }),
  );
}

describe('createEventBridgeSignalPublisher', () => {
  beforeEach(() => {
    eventsMock.reset();
  });

  it('puts signals on the bus in batches of 10', async () => {
    eventsMock
      .on(PutEventsCommand)
      .callsFake(({ Entries }) => ({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'e' })) }));

    await createEventBridgeSignalPublisher({ client, eventBusName: 'dr-autopilot-test' }).publish(
      signals(23),
    );

    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    const sizes = eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'dr-autopilot-test',
      Source: 'dr-autopilot',
      DetailType: 'Replication Status Changed',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ version: 1, resource: { id: 's-0' } });
  });

  it('sends again only the entries that failed', async () => {
    eventsMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'c' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });

    await createEventBridgeSignalPublisher({ client, eventBusName: 'bus' }).publish(signals(3));

    const second = eventsMock.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(second).toHaveLength(1);
    expect(JSON.parse(second[0]?.Detail ?? '{}').resource.id).toBe('s-1');
  });

  it('throws a retryable error naming the failure when entries keep failing', async () => {
    eventsMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });

    const publishing = createEventBridgeSignalPublisher({ client, eventBusName: 'bus', attempts: 2 }).publish(
      signals(1),
    );

    await expect(publishing).rejects.toThrow(RetryableDependencyError);
    await expect(
      createEventBridgeSignalPublisher({ client, eventBusName: 'bus', attempts: 2 }).publish(signals(1)),
    ).rejects.toThrow(/InternalFailure/);
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 4);
  });

  it('makes no call for no signals', async () => {
    await createEventBridgeSignalPublisher({ client, eventBusName: 'bus' }).publish([]);

    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
