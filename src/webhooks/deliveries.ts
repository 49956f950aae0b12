/**
 * The delivery log (webhooks.deliveries, webhooks.attempts): SQL only. A delivery is one event for one
 * subscription, its id a hash of the two; an attempt is one POST, numbered across every run of the
 * delivery (redeliveries continue the count), keyed by the Temporal activity attempt that sent it.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { inTransaction } from '../postgres';
import { storableText } from '../shared/storable-text';
import type { WebhookEventType } from '../shared/webhooks';

type Queryable = Pick<PoolClient, 'query'>;

/**
 * The delivery id: the same (subscription, event) always gives the same id, so its start and its rows
 * are idempotent. The event's time is hashed too: event ids are sequence numbers, which a rebuilt
 * database hands out again while Temporal still remembers the old webhook-<id> runs.
 */
export function deliveryIdOf(subscription: string, event: Pick<StoredEvent, 'id' | 'occurredAt'>): string {
  return createHash('sha256').update(`${subscription}\n${event.id}\n${event.occurredAt}`).digest('hex').slice(0, 32);
}

export interface StoredEvent {
  id: string;
  type: WebhookEventType;
  model: string | null;
  payload: Record<string, unknown>;
  occurredAt: string;
}

interface EventRow {
  id: string;
  type: WebhookEventType;
  model_name: string | null;
  payload: Record<string, unknown>;
  occurred_at: Date;
}

const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  type: r.type,
  model: r.model_name,
  payload: r.payload,
  occurredAt: r.occurred_at.toISOString(),
});

/** Events whose deliveries were not started yet, oldest first. */
export async function undispatchedEvents(db: Queryable, limit: number): Promise<StoredEvent[]> {
  const { rows } = await db.query<EventRow>(
    'SELECT id, type, model_name, payload, occurred_at FROM webhooks.events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1',
    [limit],
  );
  return rows.map(toEvent);
}

export async function insertDelivery(
  db: Queryable,
  d: { id: string; eventId: string; subscription: string },
): Promise<void> {
  await db.query(
    'INSERT INTO webhooks.deliveries (id, event_id, subscription) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
    [d.id, d.eventId, d.subscription],
  );
}

export async function markDispatched(db: Queryable, eventId: string): Promise<void> {
  await db.query('UPDATE webhooks.events SET dispatched_at = now() WHERE id = $1 AND dispatched_at IS NULL', [eventId]);
}

/** The body every attempt of a delivery sends: the same bytes each time (only the signed timestamp changes). */
export function deliveryBody(event: StoredEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    model: event.model,
    data: event.payload,
  });
}

export interface DeliveryToSend {
  id: string;
  subscription: string;
  status: 'pending' | 'delivered' | 'failed';
  event: StoredEvent;
}

export async function loadDelivery(db: Queryable, id: string): Promise<DeliveryToSend | undefined> {
  const { rows } = await db.query<
    EventRow & { delivery_id: string; subscription: string; status: DeliveryToSend['status'] }
  >(
    `SELECT d.id AS delivery_id, d.subscription, d.status, e.id, e.type, e.model_name, e.payload, e.occurred_at
       FROM webhooks.deliveries d JOIN webhooks.events e ON e.id = d.event_id WHERE d.id = $1`,
    [id],
  );
  const r = rows[0];
  return r ? { id: r.delivery_id, subscription: r.subscription, status: r.status, event: toEvent(r) } : undefined;
}

export interface AttemptKey {
  deliveryId: string;
  workflowRunId: string;
  activityAttempt: number;
}

/**
 * Records an attempt as in flight before its request goes out and returns its number. An earlier
 * attempt still 'sending' had no result recorded: its worker died mid-request (or it outlived its
 * timeout), so it is marked lost. A retried recording of the same activity attempt returns its row.
 */
export async function beginAttempt(
  client: PoolClient,
  key: AttemptKey,
  url: string,
  signatureTimestamp: number,
): Promise<number> {
  return inTransaction(client, async () => {
    // one attempt of a delivery at a time gets its number: the delivery row is the lock
    await client.query('SELECT id FROM webhooks.deliveries WHERE id = $1 FOR UPDATE', [key.deliveryId]);
    const existing = await client.query<{ attempt: number }>(
      'SELECT attempt FROM webhooks.attempts WHERE delivery_id = $1 AND workflow_run_id = $2 AND activity_attempt = $3',
      [key.deliveryId, key.workflowRunId, key.activityAttempt],
    );
    if (existing.rows[0]) return existing.rows[0].attempt;
    await client.query(
      `UPDATE webhooks.attempts SET status = 'lost', error = 'no result recorded: the worker was lost mid-request, or the attempt outlived its timeout' WHERE delivery_id = $1 AND status = 'sending'`,
      [key.deliveryId],
    );
    const { rows } = await client.query<{ attempt: number }>(
      `INSERT INTO webhooks.attempts (delivery_id, attempt, workflow_run_id, activity_attempt, status, url, signature_timestamp)
       SELECT $1, coalesce(max(attempt), 0) + 1, $2, $3, 'sending', $4, $5 FROM webhooks.attempts WHERE delivery_id = $1
       RETURNING attempt`,
      [key.deliveryId, key.workflowRunId, key.activityAttempt, url, signatureTimestamp],
    );
    return rows[0]!.attempt;
  });
}

export interface AttemptResult {
  status: 'delivered' | 'retry' | 'rejected';
  latencyMs: number;
  responseCode: number | null;
  responseHead: string;
  error: string | null;
}

/** Records an attempt's result; a delivered one marks its delivery delivered in the same transaction. */
export async function finishAttempt(client: PoolClient, key: AttemptKey, result: AttemptResult): Promise<void> {
  await inTransaction(client, async () => {
    await client.query(
      `UPDATE webhooks.attempts SET status = $4, latency_ms = $5, response_code = $6, response_head = $7, error = $8
        WHERE delivery_id = $1 AND workflow_run_id = $2 AND activity_attempt = $3`,
      [
        key.deliveryId,
        key.workflowRunId,
        key.activityAttempt,
        result.status,
        result.latencyMs,
        result.responseCode,
        // a receiver's answer is outside text: a NUL in it must not fail the record of the attempt
        storableText(result.responseHead),
        result.error === null ? null : storableText(result.error),
      ],
    );
    if (result.status === 'delivered')
      await client.query(
        `UPDATE webhooks.deliveries SET status = 'delivered', error = NULL, finished_at = now() WHERE id = $1`,
        [key.deliveryId],
      );
  });
}

/** A delivery whose attempts ran out (or were refused): failed, with the last error. */
export async function markFailed(db: Queryable, id: string, error: string): Promise<void> {
  await db.query(
    `UPDATE webhooks.deliveries SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status <> 'delivered'`,
    [id, storableText(error.slice(0, 2000))],
  );
}

/** A redelivery starts: the delivery is pending again (its attempts stay, and the new ones continue their count). */
export async function markPending(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE webhooks.deliveries SET status = 'pending', error = NULL, finished_at = NULL WHERE id = $1`, [
    id,
  ]);
}

export interface DeliverySummary {
  id: string;
  eventId: string;
  type: WebhookEventType;
  model: string | null;
  subscription: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastResponseCode: number | null;
  lastLatencyMs: number | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface AttemptSummary {
  attempt: number;
  status: string;
  url: string;
  startedAt: string;
  latencyMs: number | null;
  responseCode: number | null;
  responseHead: string | null;
  error: string | null;
}

/** The newest deliveries (only failed ones with `failed`), with their attempt counts and last answer. */
export async function listDeliveries(
  db: Queryable,
  options: { failed?: boolean; limit?: number; ids?: string[] } = {},
): Promise<DeliverySummary[]> {
  const { rows } = await db.query<{
    id: string;
    event_id: string;
    type: WebhookEventType;
    model_name: string | null;
    subscription: string;
    status: DeliverySummary['status'];
    attempts: number;
    response_code: number | null;
    latency_ms: number | null;
    error: string | null;
    created_at: Date;
    finished_at: Date | null;
  }>(
    `SELECT d.id, d.event_id, e.type, e.model_name, d.subscription, d.status, d.error, d.created_at, d.finished_at,
            (SELECT count(*)::int FROM webhooks.attempts a WHERE a.delivery_id = d.id) AS attempts,
            l.response_code, l.latency_ms
       FROM webhooks.deliveries d
       JOIN webhooks.events e ON e.id = d.event_id
       LEFT JOIN LATERAL (SELECT response_code, latency_ms FROM webhooks.attempts a WHERE a.delivery_id = d.id ORDER BY attempt DESC LIMIT 1) l ON true
      WHERE ($1::boolean IS NOT TRUE OR d.status = 'failed') AND ($3::text[] IS NULL OR d.id = ANY($3::text[]))
      ORDER BY d.created_at DESC, d.id
      LIMIT $2`,
    [options.failed ?? false, options.limit ?? 50, options.ids ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    type: r.type,
    model: r.model_name,
    subscription: r.subscription,
    status: r.status,
    attempts: r.attempts,
    lastResponseCode: r.response_code,
    lastLatencyMs: r.latency_ms,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  }));
}

export async function listAttempts(db: Queryable, deliveryId: string): Promise<AttemptSummary[]> {
  const { rows } = await db.query<{
    attempt: number;
    status: string;
    url: string;
    started_at: Date;
    latency_ms: number | null;
    response_code: number | null;
    response_head: string | null;
    error: string | null;
  }>(
    'SELECT attempt, status, url, started_at, latency_ms, response_code, response_head, error FROM webhooks.attempts WHERE delivery_id = $1 ORDER BY attempt',
    [deliveryId],
  );
  return rows.map((r) => ({
    attempt: r.attempt,
    status: r.status,
    url: r.url,
    startedAt: r.started_at.toISOString(),
    latencyMs: r.latency_ms,
    responseCode: r.response_code,
    responseHead: r.response_head,
    error: r.error,
  }));
}
