/**
 * The one place an error becomes a Temporal failure. Workflows call it on their own validation
 * errors; the worker calls it on every activity's (src/activities/index.ts). A failure's `type` is the
 * error class name (src/shared/errors.ts), which retry policies and tests match on.
 *
 * Non-retryable: input that can never succeed (ValidationError, ConfigError, RegistryError, MojoError) and H2O
 * answers a retry cannot change (4xx other than "in use", the MOJO gate, an id the cluster lost: H2OLost,
 * which trainModels answers by rebuilding), a cloud that lost a node (H2OCloudLost: clouds do not heal), and a
 * value PostgreSQL refuses as given (UnstorableText: a NUL, text over a column's length). Anything else is returned
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

/**
 * SQLSTATEs of a value PostgreSQL refuses as given: 22021 character_not_in_repertoire (a NUL in text),
 * 22P05 untranslatable_character (\u0000 in jsonb), 22P02 invalid_text_representation (text that is not
 * the column's type: a lone surrogate escape in json), 22001 string_data_right_truncation (over a
 * varchar's length). Data exceptions: a retry sends the same value again.
 */
const UNSTORABLE_SQLSTATES: ReadonlySet<string> = new Set(['22021', '22P05', '22P02', '22001']);

/** A pg DatabaseError's SQLSTATE when it is one of UNSTORABLE_SQLSTATES (read by shape: pg is not workflow-safe). */
function unstorableSqlState(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== 'error') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && UNSTORABLE_SQLSTATES.has(code) ? code : undefined;
}

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const sqlState = unstorableSqlState(err);
  if (sqlState)
    return ApplicationFailure.nonRetryable(
      `PostgreSQL refused a value (SQLSTATE ${sqlState}): ${err instanceof Error ? err.message : String(err)}`,
      FailureType.UnstorableText,
      { sqlState },
    );
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
