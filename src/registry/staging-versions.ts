/** stagingVersions: a model's versions in staging with the retrain run that registered each. */
import type { PoolClient } from 'pg';

export interface StagingVersion {
  version: number;
  workflowId: string;
  runId: string | null;
}

export async function stagingVersions(client: Pick<PoolClient, 'query'>, model: string): Promise<StagingVersion[]> {
  const { rows } = await client.query<{ version: number; workflow_id: string; run_id: string | null }>(
    `SELECT version, workflow_id, run_id FROM registry.model_versions WHERE model_name = $1 AND stage = 'staging' ORDER BY version`,
    [model],
  );
  return rows.map((r) => ({ version: r.version, workflowId: r.workflow_id, runId: r.run_id }));
}
