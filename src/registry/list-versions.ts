/** listVersions: a model's versions, newest first, with stage, metrics and lineage. */
import type { PoolClient } from 'pg';
import { SUMMARY_COLUMNS, toSummary, type ModelVersionRow } from './queries';
import type { ModelVersionSummary } from './types';

export async function listVersions(client: Pick<PoolClient, 'query'>, model: string, limit = 100): Promise<ModelVersionSummary[]> {
  const { rows } = await client.query<ModelVersionRow>(`SELECT ${SUMMARY_COLUMNS} FROM registry.model_versions WHERE model_name = $1 ORDER BY version DESC LIMIT $2`, [model, limit]);
  return rows.map(toSummary);
}
