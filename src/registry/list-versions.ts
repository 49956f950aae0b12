/** listVersions: a model's versions, newest first, with stage, metrics and lineage. */
import type { PoolClient } from 'pg';
import { SUMMARY_COLUMNS, toSummary, type ModelVersionRow } from './queries';
import type { ModelVersionSummary } from './types';

/** At most `limit` versions; with `before`, only versions older than it (the next page, read on the primary key). */
export async function listVersions(
  client: Pick<PoolClient, 'query'>,
  model: string,
  limit = 100,
  before?: number,
): Promise<ModelVersionSummary[]> {
  const { rows } = await client.query<ModelVersionRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM registry.model_versions WHERE model_name = $1 AND ($3::integer IS NULL OR version < $3) ORDER BY version DESC LIMIT $2`,
    [model, limit, before ?? null],
  );
  return rows.map(toSummary);
}
