/** What the inference service reads: one version's summary, and which versions are in production. */
import type { PoolClient } from 'pg';
import { SUMMARY_COLUMNS, toSummary, type ModelVersionRow } from './queries';
import type { ModelVersionSummary } from './types';

type Queryable = Pick<PoolClient, 'query'>;

/** A version by number, or the production one; undefined when there is none. */
export async function getVersion(
  client: Queryable,
  model: string,
  version: number | 'production',
): Promise<ModelVersionSummary | undefined> {
  const { rows } =
    version === 'production'
      ? await client.query<ModelVersionRow>(
          `SELECT ${SUMMARY_COLUMNS} FROM registry.model_versions WHERE model_name = $1 AND stage = 'production'`,
          [model],
        )
      : await client.query<ModelVersionRow>(
          `SELECT ${SUMMARY_COLUMNS} FROM registry.model_versions WHERE model_name = $1 AND version = $2`,
          [model, version],
        );
  return rows[0] ? toSummary(rows[0]) : undefined;
}

/** model -> production version number, for `models` (those without one are absent). */
export async function productionVersions(client: Queryable, models: string[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ model_name: string; version: number }>(
    `SELECT model_name, version FROM registry.model_versions WHERE stage = 'production' AND model_name = ANY($1::text[])`,
    [models],
  );
  return new Map(rows.map((r) => [r.model_name, r.version]));
}
