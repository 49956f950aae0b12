/** championModelIds: the H2O model ids of a model's registered champions, newest version first. */
import type { PoolClient } from 'pg';

export async function championModelIds(client: Pick<PoolClient, 'query'>, model: string): Promise<string[]> {
  const { rows } = await client.query<{ h2o_model_id: string }>(
    `SELECT h2o_model_id FROM registry.model_versions WHERE model_name = $1 AND coalesce(h2o_model_id, '') <> '' ORDER BY version DESC`,
    [model],
  );
  return rows.map((r) => r.h2o_model_id);
}
