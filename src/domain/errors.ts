/**
 * The error hierarchy. Every error keeps its `cause`. Handlers never swallow these: Lambda's retries,
 * the on-failure destination and the DLQ depend on them propagating. A refusal by policy (a drill, a
 * failback launch…) is an outcome, not an error.
 */
export class DrAutopilotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that can never succeed however often it is retried: a malformed event, a bad configuration. */
export class InvalidInputError extends DrAutopilotError {}

/** An event that does not match its schema; `issues` name each failing field. */
export class InvalidEventError extends InvalidInputError {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An event from another account or Region (safety rule 5): rejected, never acted on. */
export class ForeignEventError extends InvalidInputError {}

/** One problem of a configuration, for tools that explain it in their own terms (`npm run check-config`). */
export interface ConfigProblem {
  /** The environment variables involved, the one at fault first. */
  variables: readonly string[];
  /** Where inside the variable's (JSON) value, e.g. `['EC2', 'subnetId']`; empty for the whole value. */
  path: readonly (string | number)[];
  /** What is wrong, without the variable's name (`must be JSON`); it may name other variables of the contract. */
  message: string;
  /** The offending part of the value, when `path` points inside it. */
  received?: unknown;
}

/**
 * A missing or malformed environment variable, detected at cold start. `problems` says the same, one entry per
 * problem, for tools that name the stage parameter behind each variable.
 */
export class ConfigError extends InvalidInputError {
  readonly problems: readonly ConfigProblem[];

  constructor(message: string, options?: { cause?: unknown; problems?: readonly ConfigProblem[] }) {
    super(message, options);
    this.problems = options?.problems ?? [];
  }
}

/** A dependency failed in a way a retry may fix (throttling, 5xx, a partial PutEvents failure). */
export class RetryableDependencyError extends DrAutopilotError {}

/**
 * The service refused a change because of the resource's current state (DRS `ConflictException`): e.g.
 * ReverseReplication while the recovery instance's agent is still starting, or on an instance that already
 * replicates. The caller re-reads the state to tell which.
 */
export class ConflictError extends DrAutopilotError {}
