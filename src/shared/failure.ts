/**
 * The one place an error becomes a Temporal failure. Workflows call it on their own validation
 * errors; the worker calls it on every activity's (src/activities/index.ts). A failure's `type` is the
 * error class name (src/shared/errors.ts), which retry policies and tests match on.
 *
 * Non-retryable: input that can never succeed (ValidationError, ConfigError, RegistryError, MojoError) and H2O
 * answers a retry cannot change (4xx other than "in use", the MOJO gate, an id the cluster lost: H2OLost,
 * which trainModels answers by rebuilding), and a cloud that lost a node (H2OCloudLost: clouds do not heal). Anything else is returned
 * unchanged, so Temporal retries it under the activity's policy (H2OUnreachableError, network errors).
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  ConfigError,
  FailureType,
  H2OCloudLostError,
  H2OError,
  isInUse,
  isLost,
  isMojoGated,
  MojoError,
  RegistryError,
  ValidationError,
} from './errors';

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ValidationError)
    return ApplicationFailure.nonRetryable(err.message, FailureType.Validation, { field: err.field });
  if (err instanceof ConfigError)
    return ApplicationFailure.nonRetryable(err.message, FailureType.Config, { variable: err.variable });
  if (err instanceof RegistryError)
    return ApplicationFailure.nonRetryable(err.message, FailureType.Registry, {
      model: err.model,
      version: err.version ?? null,
    });
  if (err instanceof H2OCloudLostError)
    return ApplicationFailure.nonRetryable(err.message, FailureType.H2OCloudLost, { nodes: err.nodes });
  if (err instanceof MojoError)
    return ApplicationFailure.nonRetryable(err.message, FailureType.Mojo, { setting: err.setting });
  if (err instanceof H2OError) {
    if (isLost(err))
      return ApplicationFailure.nonRetryable(
        `${err.message} (H2O no longer has it: the cluster restarted?)`,
        FailureType.H2OLost,
        { status: err.status },
      );
    if (isMojoGated(err))
      return ApplicationFailure.nonRetryable(
        `${err.message} (run H2O 3.46.0.11 or earlier; see docs/TRAINING.md)`,
        FailureType.H2OMojoGated,
      );
    if (err.status >= 400 && err.status < 500 && !isInUse(err)) {
      return ApplicationFailure.nonRetryable(err.message, FailureType.H2O, {
        status: err.status,
        field: err.field ?? null,
      });
    }
  }
  return err;
}

/**
 * Runs `work` and rethrows what it throws (or what its promise rejects with) as its failure: how a
 * workflow checks its input (`failing(() => parse(schema, input))`) and the worker wraps activities.
 */
export function failing<T>(work: () => T): T {
  let result: T;
  try {
    result = work();
  } catch (err) {
    throw toFailure(err);
  }
  if (result instanceof Promise) {
    return result.catch((err: unknown) => {
      throw toFailure(err);
    }) as T;
  }
  return result;
}
