/** listStageEvents: a model's stage history (registry.stage_events), newest first, a page at a time. */
import type { PoolClient } from 'pg';
import type { Stage } from './types';

export interface StageEvent {
  id: number;
  version: number;
  from: Stage | null;
  to: Stage;
  /** why: the promotion's reason, the approver's comment, the rollback's request */
  reason: string;
  /** who: the workflow that made the change (null when a person did it outside one) */
  workflowId: string | null;
  at: string;
}

/** At most `limit` events; with `before`, only events older than that id (stage_events_by_model, migration 055). */
export async function listStageEvents(
  client: Pick<PoolClient, 'query'>,
  model: string,
  limit: number,
  before?: number,
): Promise<StageEvent[]> {
  const { rows } = await client.query<{
    id: string;
    version: number;
    from_stage: Stage | null;
    to_stage: Stage;
    reason: string;
    workflow_id: string | null;
    at: Date;
  }>(
    `SELECT id, version, from_stage, to_stage, reason, workflow_id, at FROM registry.stage_events
      WHERE model_name = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`,
    [model, limit, before ?? null],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    version: r.version,
    from: r.from_stage,
    to: r.to_stage,
    reason: r.reason,
    workflowId: r.workflow_id,
    at: r.at.toISOString(),
  }));
}
