/**
 * listModelOverviews: every model of the registry, a page at a time by name, with its production
 * version and its latest drift report: what the /ui/ overview shows. One row per model, each part
 * read from the top of an index (the production partial index, the version primary key,
 * drift_reports_model_created).
 */
import type { PoolClient } from 'pg';
import type { DriftVerdict } from '../shared/drift';

export interface ModelOverview {
  model: string;
  /** newest version number (= how many versions: they are gapless from 1) */
  latestVersion: number;
  production: { version: number; algorithm: string; metrics: Record<string, number>; promotedAt: string | null } | null;
  /** the report the sensor wrote last */
  lastReport: { id: number; verdict: DriftVerdict; maxPsi: number | null; createdAt: string } | null;
}

/** At most `limit` models in name order; with `after`, those whose name sorts after it. */
export async function listModelOverviews(
  client: Pick<PoolClient, 'query'>,
  limit: number,
  after?: string,
): Promise<ModelOverview[]> {
  const { rows } = await client.query<{
    name: string;
    latest: number | null;
    version: number | null;
    algorithm: string | null;
    metrics: Record<string, number> | null;
    promoted_at: Date | null;
    report_id: string | null;
    verdict: DriftVerdict | null;
    max_psi: number | null;
    report_at: Date | null;
  }>(
    `SELECT m.name, l.latest, p.version, p.algorithm, p.metrics, p.promoted_at, r.id AS report_id, r.verdict, r.max_psi, r.created_at AS report_at
       FROM registry.models m
       LEFT JOIN registry.model_versions p ON p.model_name = m.name AND p.stage = 'production'
       LEFT JOIN LATERAL (SELECT max(version) AS latest FROM registry.model_versions v WHERE v.model_name = m.name) l ON true
       LEFT JOIN LATERAL (SELECT id, verdict, max_psi, created_at FROM monitoring.drift_reports d
                           WHERE d.model_name = m.name ORDER BY created_at DESC LIMIT 1) r ON true
      WHERE $2::text IS NULL OR m.name > $2
      ORDER BY m.name LIMIT $1`,
    [limit, after ?? null],
  );
  return rows.map((r) => ({
    model: r.name,
    latestVersion: r.latest ?? 0,
    production:
      r.version === null
        ? null
        : {
            version: r.version,
            algorithm: r.algorithm!,
            metrics: r.metrics ?? {},
            promotedAt: r.promoted_at?.toISOString() ?? null,
          },
    lastReport:
      r.report_id === null
        ? null
        : { id: Number(r.report_id), verdict: r.verdict!, maxPsi: r.max_psi, createdAt: r.report_at!.toISOString() },
  }));
}
