/**
 * registerVersion: a training run's champion becomes the next version of its model, in staging.
 * One transaction under the model lock; a retry by the same workflow run returns the version it
 * registered before instead of bumping again (unique (model_name, workflow_id, run_id)).
 */
import type { PoolClient } from 'pg';
import { insertStageEvent, lockModel } from './queries';
import { inTransaction } from '../postgres';
import { storableText } from '../shared/storable-text';
import type { RegisterVersionInput, RegisterVersionOutput } from './types';

export async function registerVersion(client: PoolClient, input: RegisterVersionInput): Promise<RegisterVersionOutput> {
  const c = input.candidate;
  return inTransaction(client, async () => {
    await lockModel(client, c.model);
    const existing = await client.query<{ version: number }>(
      'SELECT version FROM registry.model_versions WHERE model_name = $1 AND workflow_id = $2 AND run_id = $3',
      [c.model, input.workflowId, input.runId],
    );
    if (existing.rows[0]) return { version: existing.rows[0].version, created: false };
    const { rows } = await client.query<{ version: number }>(
      `INSERT INTO registry.model_versions (model_name, version, stage, algorithm, parameters, metrics, artifact_path, artifact_sha256,
         h2o_version, h2o_model_id, feature_set, target, window_start, window_end, reference, workflow_id, run_id, drift_report_id, servable, serving_problem)
       SELECT $1, coalesce(max(version), 0) + 1, 'staging', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18
         FROM registry.model_versions WHERE model_name = $1
       RETURNING version`,
      [
        c.model,
        c.algorithm,
        JSON.stringify(c.parameters ?? {}),
        JSON.stringify({ ...c.metrics, [c.metric]: c.metricValue }),
        c.artifactPath,
        c.artifactSha256,
        c.h2oVersion,
        c.h2oModelId,
        c.featureSet,
        c.target,
        c.window.start,
        c.window.end,
        JSON.stringify(c.reference),
        input.workflowId,
        input.runId,
        input.driftReportId ?? null,
        input.serving?.servable ?? null,
        // the MOJO checker's refusal may quote the file's own text
        input.serving?.problem == null ? null : storableText(input.serving.problem),
      ],
    );
    const version = rows[0]!.version;
    await insertStageEvent(client, {
      model: c.model,
      version,
      from: null,
      to: 'staging',
      reason: input.reason ?? `registered by ${input.workflowId}`,
      workflowId: input.workflowId,
    });
    return { version, created: true };
  });
}
