import type { FailbackDeclaration } from '../../src/domain/reverse-replication.ts';
import type { FailbackDeclarations, PendingReversal, PendingReversals } from '../../src/ports/failback.ts';

/** Declarations by workload, in memory. */
export class FakeDeclarations implements FailbackDeclarations {
  readonly byWorkload = new Map<string, FailbackDeclaration>();
  reads = 0;

  declare(declaration: FailbackDeclaration): void {
    this.byWorkload.set(declaration.workload, declaration);
  }

  async get(workload: string) {
    this.reads += 1;
    return this.byWorkload.get(workload);
  }
}

/** Pending reversals in memory, with the store's rule: the first conflict's time and deadline stay. */
export class FakePendingReversals implements PendingReversals {
  readonly items = new Map<string, PendingReversal>();

  async record(pending: PendingReversal) {
    const existing = this.items.get(pending.recoveryInstanceId);
    this.items.set(
      pending.recoveryInstanceId,
      existing ? { ...existing, attempts: existing.attempts + pending.attempts } : structuredClone(pending),
    );
  }
  async list() {
    return [...this.items.values()].map((item) => structuredClone(item));
  }
  async remove(recoveryInstanceId: string) {
    this.items.delete(recoveryInstanceId);
  }
}
