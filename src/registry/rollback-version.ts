/**
 * rollbackVersion: production goes back to an earlier version's artifact, as a NEW version N+1 (a
 * rollback is a version bump, so numbers keep telling the order of what served). The new row copies
 * version k's artifact, metrics and reference, records rolled_back_from = k, and replaces the current
 * production version in the same transaction. A retry with the same (workflowId, runId) is a no-op.
 */
import type { PoolClient } from 'pg';
import { RegistryError } from '../shared/errors';
import { archiveProduction, insertStageEvent, lockModel } from './queries';
import { inTransaction } from '../postgres';
import type { RollbackVersionInput, RollbackVersionOutput } from './types';

export async function rollbackVersion(client: PoolClient, input: RollbackVersionInput): Promise<RollbackVersionOutput> {
  return inTransaction(client, async () => {
    await lockModel(client, input.model);
    const done = await client.query<{ version: number; rolled_back_from: number }>(
      'SELECT version, rolled_back_from FROM registry.model_versions WHERE model_name = $1 AND workflow_id = $2 AND run_id = $3',
      [input.model, input.workflowId, input.runId],
    );
    if (done.rows[0])
      return {
        version: done.rows[0].version,
        rolledBackFrom: done.rows[0].rolled_back_from,
        archived: null,
        created: false,
      };
    const source = await client.query<{ stage: string; servable: boolean | null; serving_problem: string | null }>(
      'SELECT stage, servable, serving_problem FROM registry.model_versions WHERE model_name = $1 AND version = $2',
      [input.model, input.toVersion],
    );
    if (!source.rows[0]) throw new RegistryError(input.model, input.toVersion, 'no such version to roll back to');
    if (source.rows[0].stage === 'production')
      throw new RegistryError(input.model, input.toVersion, 'is already in production');
    if (source.rows[0].servable === false)
      throw new RegistryError(
        input.model,
        input.toVersion,
        `cannot be served by the platform's scorer (${source.rows[0].serving_problem})`,
      );
    const archived = await archiveProduction(
      client,
      input.model,
      `rolled back to version ${input.toVersion}: ${input.reason}`,
      input.workflowId,
    );
    const { rows } = await client.query<{ version: number }>(
      `INSERT INTO registry.model_versions (model_name, version, stage, algorithm, parameters, metrics, artifact_path, artifact_sha256,
         h2o_version, h2o_model_id, feature_set, target, window_start, window_end, reference, workflow_id, run_id, rolled_back_from, promoted_at, servable, serving_problem)
       SELECT model_name, (SELECT max(version) + 1 FROM registry.model_versions WHERE model_name = $1), 'production', algorithm, parameters, metrics,
              artifact_path, artifact_sha256, h2o_version, h2o_model_id, feature_set, target, window_start, window_end, reference, $3, $4, version, now(), servable, serving_problem
         FROM registry.model_versions WHERE model_name = $1 AND version = $2
       RETURNING version`,
      [input.model, input.toVersion, input.workflowId, input.runId],
    );
    const version = rows[0]!.version;
    await insertStageEvent(client, {
      model: input.model,
      version,
      from: null,
      to: 'production',
      reason: `rollback to version ${input.toVersion}: ${input.reason}`,
      workflowId: input.workflowId,
      rolledBackFrom: input.toVersion,
    });
    return { version, rolledBackFrom: input.toVersion, archived, created: true };
  });
}
