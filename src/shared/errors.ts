/**
 * The project's errors, in one flat module (feast's errors.py).
 *
 * Each class has a fixed `name` (its FailureType): that name becomes the ApplicationFailure `type` when the error
 * crosses an activity boundary, so retry policies (`nonRetryableErrorTypes`) and tests match on it.
 * Messages name the offending field and value. Part of the workflow-safe kernel; src/shared/failure.ts
 * turns them into ApplicationFailures.
 */

/**
 * Failure types that cross activity/workflow boundaries. The classes below take their `name` from here
 * (a string literal, which bundling cannot rename as it may a class's own name); the rest are raised as
 * ApplicationFailures directly.
 */
export const FailureType = {
  Validation: 'ValidationError',
  Config: 'ConfigError',
  H2O: 'H2OError',
  H2OUnreachable: 'H2OUnreachableError',
  /** the H2O cluster runs a build that cannot serve (src/h2o/version.ts), e.g. a MOJO-gated one */
  H2OVersion: 'H2OVersionError',
  /** GET /3/Models/{id}/mojo answered 412 "ENTERPRISE REQUIRED": an H2O build (3.46.0.12+) that blocks MOJO export */
  H2OMojoGated: 'H2OMojoGatedError',
  /**
   * H2O no longer has a job, frame or model the run created (the cluster restarted: H2O keeps nothing
   * across restarts); trainModels rebuilds its frames and trains again
   */
  H2OLost: 'H2OLostError',
  /**
   * a node of a multi-node H2O cloud died or left (unhealthy in GET /3/Cloud, or the size dropped):
   * H2O clouds do not heal, so the run fails until the operator restarts the whole cloud
   */
  H2OCloudLost: 'H2OCloudLostError',
  /** the cloud is still forming (fewer nodes than H2O_NODES, no consensus, not locked): retryable, it may complete */
  H2OCloudIncomplete: 'H2OCloudIncompleteError',
  /** a training run in which no model spec succeeded; the message names each spec and its reason */
  TrainingFailed: 'TrainingFailedError',
  SourceHttp: 'SourceHttpError',
  /** a source answered with a body that is not the JSON its definition describes (truncated, wrong shape) */
  SourcePage: 'SourcePageError',
  /** a request a source definition (or a next link) asked for that may not go out: another origin, a link-local or metadata address */
  SourceDestination: 'SourceDestinationError',
  /** a request undici will not send as built (a header value with CR, LF or a character outside Latin-1): every attempt fails alike */
  InvalidRequest: 'InvalidRequestError',
  Registry: 'RegistryError',
  /**
   * PostgreSQL refused a value as given (SQLSTATE 22021, 22P05, 22P02, 22001: a NUL, a character or
   * escape it cannot hold, text over a column's length): the same value fails the same way on every retry
   */
  UnstorableText: 'UnstorableTextError',
  /** a MOJO the scorer refuses: not a zip, altered bytes, or an algorithm, version or setting it cannot serve */
  Mojo: 'MojoError',
  /** a webhook receiver's answer a retry cannot change (4xx other than 408/429, a redirect), or a refused address */
  WebhookRejected: 'WebhookRejectedError',
  /** a webhook receiver's answer worth retrying (5xx, 408, 429, a timeout, a connection error) */
  WebhookRetry: 'WebhookRetryError',
  /** a delivery whose attempts ran out or were refused (the deliverWebhook run's failure) */
  WebhookFailed: 'WebhookFailedError',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Renders a value for an error message: strings quoted, long values cut. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'string') text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** An environment variable that is missing or malformed. Raised once, at start-up. */
export class ConfigError extends Error {
  override readonly name = FailureType.Config;
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly expected: string,
  ) {
    super(`${variable}=${showValue(value)} is invalid: expected ${expected}`);
  }
}

/** Input that can never succeed as given (a workflow input, a source definition, a record). */
export class ValidationError extends Error {
  override readonly name = FailureType.Validation;
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}=${showValue(value)} is invalid: ${expected}`);
  }
}

/** An error answer from the H2O-3 REST API, carrying H2O's own message. */
export class H2OError extends Error {
  override readonly name = FailureType.H2O;
  constructor(
    message: string,
    /** HTTP status H2O answered with (412 = illegal argument, 404 = unknown key). */
    readonly status: number,
    /** The H2O parameter the error is about, when H2O names one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** H2O's answer when an object is locked by a running job (a retry may find it free). */
export function isInUse(err: unknown): boolean {
  return err instanceof H2OError && /already in use|locked/i.test(err.message);
}

/**
 * H2O's answers about an id it does not know: a job ("Job is missing"), a frame a build names ("doesn't
 * exist in DKV"), a model or frame read by key ("not found for argument"). Every id a training run
 * asks about is one the run created, so this means the cluster lost it (a restart).
 */
export function isLost(err: unknown): boolean {
  return (
    err instanceof H2OError &&
    /Job is missing|no job in the answer|doesn't exist in DKV|not found for argument/i.test(err.message)
  );
}

/** 412 "H2O-3 ENTERPRISE REQUIRED": a 3.46.0.12+ build that blocks MOJO export. */
export function isMojoGated(err: unknown): boolean {
  return err instanceof H2OError && err.status === 412 && err.message.includes('ENTERPRISE REQUIRED');
}

/** A registry operation that cannot succeed as asked: an unknown model or version, a stage change not allowed. */
export class RegistryError extends Error {
  override readonly name = FailureType.Registry;
  constructor(
    readonly model: string,
    readonly version: number | undefined,
    readonly reason: string,
  ) {
    super(`model=${showValue(model)}${version === undefined ? '' : ` version=${version}`}: ${reason}`);
  }
}

/**
 * A MOJO the pure-TypeScript scorer refuses (src/mojo/): a damaged zip, a malformed entry, or a model it
 * cannot serve exactly as H2O does. `setting` names what was refused (`algo`, `mojo_version`, an entry name).
 */
export class MojoError extends Error {
  override readonly name = FailureType.Mojo;
  constructor(
    /** the MOJO (its path or model id) */
    readonly mojo: string,
    readonly setting: string,
    reason: string,
  ) {
    super(`MOJO ${mojo}: ${setting}: ${reason}`);
  }
}

/**
 * A locked H2O cloud lost a node: H2O marks it unhealthy (no heartbeat) or the cloud shrank. H2O
 * clouds do not heal, so nothing a retry does can finish the run: non-retryable. `nodes` are the lost
 * nodes' ip:port.
 */
export class H2OCloudLostError extends Error {
  override readonly name = FailureType.H2OCloudLost;
  constructor(
    readonly nodes: string[],
    message: string,
  ) {
    super(message);
  }
}

/** An H2O cloud that is not (yet) complete: fewer nodes than expected, no consensus, or not locked. Retryable. */
export class H2OCloudIncompleteError extends Error {
  override readonly name = FailureType.H2OCloudIncomplete;
  constructor(
    readonly missing: string[],
    message: string,
  ) {
    super(message);
  }
}

/** The H2O cluster could not be reached (connection refused, timeout). Retryable. */
export class H2OUnreachableError extends Error {
  override readonly name = FailureType.H2OUnreachable;
  constructor(
    message: string,
    /** nothing listens there (connection refused, no such host): the node is gone, not slow */
    readonly refused = false,
  ) {
    super(message);
  }
}

/** A failure of the local stack (a port taken, a binary missing, a download refused), with the fix. */
export class StackError extends Error {
  override readonly name = 'StackError';
  constructor(
    message: string,
    /** The command that fixes it, printed after the message. */
    readonly fix?: string,
  ) {
    super(fix ? `${message} (fix: ${fix})` : message);
  }
}
