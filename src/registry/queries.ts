/** SQL shared by the registry operations: row mapping and the per-model lock. */
import type { PoolClient } from 'pg';
import { recordStageEvent } from '../webhooks/outbox';
import type { ModelVersionSummary, Stage } from './types';

/** Columns of registry.model_versions a summary reads. */
export const SUMMARY_COLUMNS = `model_name, version, stage, algorithm, metrics, artifact_path, artifact_sha256, feature_set, target,
  window_start, window_end, workflow_id, run_id, drift_report_id, rolled_back_from, created_at, promoted_at, archived_at, servable, serving_problem`;

export interface ModelVersionRow {
  model_name: string;
  version: number;
  stage: Stage;
  algorithm: string;
  metrics: Record<string, number>;
  artifact_path: string;
  artifact_sha256: string;
  feature_set: string | null;
  target: string | null;
  window_start: Date | null;
  window_end: Date | null;
  workflow_id: string;
  run_id: string;
  drift_report_id: number | null;
  rolled_back_from: number | null;
  created_at: Date;
  promoted_at: Date | null;
  archived_at: Date | null;
  servable: boolean | null;
  serving_problem: string | null;
}

export function toSummary(row: ModelVersionRow): ModelVersionSummary {
  return {
    model: row.model_name,
    version: row.version,
    stage: row.stage,
    algorithm: row.algorithm,
    metrics: row.metrics,
    artifactPath: row.artifact_path,
    artifactSha256: row.artifact_sha256,
    featureSet: row.feature_set,
    target: row.target,
    window:
      row.window_start && row.window_end
        ? { start: row.window_start.toISOString(), end: row.window_end.toISOString() }
        : null,
    workflowId: row.workflow_id,
    runId: row.run_id,
    driftReportId: row.drift_report_id === null ? null : Number(row.drift_report_id),
    rolledBackFrom: row.rolled_back_from,
    createdAt: row.created_at.toISOString(),
    promotedAt: row.promoted_at?.toISOString() ?? null,
    archivedAt: row.archived_at?.toISOString() ?? null,
    servable: row.servable,
    servingProblem: row.serving_problem,
  };
}

/**
 * Creates the model row if needed and locks it for the transaction. Every operation that assigns a
 * version number or changes a stage takes this lock first, so concurrent retrains, promotions and
 * rollbacks of one model run one after the other: numbers are max + 1 under the lock (gapless, never
 * reused, unlike a sequence whose values are lost on rollback) and stage changes never interleave.
 */
export async function lockModel(client: PoolClient, model: string): Promise<void> {
  await client.query('INSERT INTO registry.models (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [model]);
  await client.query('SELECT name FROM registry.models WHERE name = $1 FOR UPDATE', [model]);
}

/**
 * The NOTIFY channel of production changes: `{"model", "version"}`, sent inside the transaction that
 * made the change, so PostgreSQL delivers it on commit and never for a rolled-back one. The
 * inference service listens (src/serving/registry-watch.ts) and reconciles periodically besides.
 */
export const PRODUCTION_CHANNEL = 'mlops_production';

export async function insertStageEvent(
  client: PoolClient,
  e: {
    model: string;
    version: number;
    from: Stage | null;
    to: Stage;
    reason: string;
    workflowId?: string;
    rolledBackFrom?: number;
  },
): Promise<void> {
  const { rows } = await client.query<{ id: number }>(
    'INSERT INTO registry.stage_events (model_name, version, from_stage, to_stage, reason, workflow_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [e.model, e.version, e.from, e.to, e.reason, e.workflowId ?? null],
  );
  // Its webhook event, in the same transaction: it exists exactly when the change committed (docs/WEBHOOKS.md).
  await recordStageEvent(client, { ...e, id: rows[0]!.id });
  // Every way into production (promotion, approval, rollback) records this event: one place to notify.
  if (e.to === 'production')
    await client.query('SELECT pg_notify($1, $2)', [
      PRODUCTION_CHANNEL,
      JSON.stringify({ model: e.model, version: e.version }),
    ]);
}

/** Archives a staging version of a locked model, with its stage event. */
export async function archiveStaging(
  client: PoolClient,
  model: string,
  version: number,
  reason: string,
  workflowId?: string,
): Promise<void> {
  await client.query(
    `UPDATE registry.model_versions SET stage = 'archived', archived_at = now() WHERE model_name = $1 AND version = $2`,
    [model, version],
  );
  await insertStageEvent(client, { model, version, from: 'staging', to: 'archived', reason, workflowId });
}

/** Archives the current production version of a locked model; returns its number or null. */
export async function archiveProduction(
  client: PoolClient,
  model: string,
  reason: string,
  workflowId?: string,
): Promise<number | null> {
  const { rows } = await client.query<{ version: number }>(
    `UPDATE registry.model_versions SET stage = 'archived', archived_at = now() WHERE model_name = $1 AND stage = 'production' RETURNING version`,
    [model],
  );
  const archived = rows[0]?.version ?? null;
  if (archived !== null)
    await insertStageEvent(client, {
      model,
      version: archived,
      from: 'production',
      to: 'archived',
      reason,
      workflowId,
    });
  return archived;
}
