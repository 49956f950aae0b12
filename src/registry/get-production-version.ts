/** getProductionVersion: the version in production with its reference histograms, or undefined. */
import type { PoolClient } from 'pg';
import type { ReferenceProfile } from '../shared/types';
import type { ProductionVersion } from './types';

export async function getProductionVersion(
  client: Pick<PoolClient, 'query'>,
  model: string,
): Promise<ProductionVersion | undefined> {
  const { rows } = await client.query<{
    version: number;
    feature_set: string | null;
    window_start: Date | null;
    window_end: Date | null;
    reference: ReferenceProfile;
  }>(
    `SELECT version, feature_set, window_start, window_end, reference FROM registry.model_versions WHERE model_name = $1 AND stage = 'production'`,
    [model],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    model,
    version: row.version,
    featureSet: row.feature_set ?? row.reference.featureSet,
    window:
      row.window_start && row.window_end
        ? { start: row.window_start.toISOString(), end: row.window_end.toISOString() }
        : null,
    reference: row.reference,
  };
}
