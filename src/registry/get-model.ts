/** getModel: a model of the registry (registry.models), its newest version number, or undefined. */
import type { PoolClient } from 'pg';

export interface RegistryModel {
  model: string;
  description: string | null;
  createdAt: string;
  /** the newest version number; versions are gapless from 1, so also how many there are (0: none yet) */
  latestVersion: number;
}

export async function getModel(client: Pick<PoolClient, 'query'>, model: string): Promise<RegistryModel | undefined> {
  const { rows } = await client.query<{
    name: string;
    description: string | null;
    created_at: Date;
    latest: number | null;
  }>(
    `SELECT m.name, m.description, m.created_at, (SELECT max(version) FROM registry.model_versions v WHERE v.model_name = m.name) AS latest
       FROM registry.models m WHERE m.name = $1`,
    [model],
  );
  const row = rows[0];
  return (
    row && {
      model: row.name,
      description: row.description,
      createdAt: row.created_at.toISOString(),
      latestVersion: row.latest ?? 0,
    }
  );
}
