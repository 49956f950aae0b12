/**
 * emitWebhookEvents: what every place that changed something worth announcing calls after its commit
 * (the registry and drift activities, retrainModel's failure path, the CLI's rollback): it starts the
 * deliveries of every undispatched event, with the subscriptions of MODELS_CONFIG and the WEBHOOK_*
 * policy. It never fails its caller: the change is committed and its event is in the outbox, so a
 * failure here (Temporal or PostgreSQL away, a broken `webhooks:` section) is logged and the
 * `webhooks-sweep` Schedule starts the deliveries later.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { loadWebhookSubscriptions } from '../catalog/models';
import type { Config } from '../config';
import type { DeliveryPolicy } from '../shared/webhooks';
import { dispatchEvents, type DispatchResult } from './dispatch';

export function deliveryPolicy(config: Config): DeliveryPolicy {
  const w = config.webhooks;
  return {
    maxAttempts: w.maxAttempts,
    initialIntervalMs: w.initialIntervalMs,
    maxIntervalMs: w.maxIntervalMs,
    timeoutMs: w.timeoutMs,
  };
}

export interface EmitContext {
  config: Config;
  pool: Pick<Pool, 'query'>;
  client: Client;
  /** where the delivery workflows run (the caller's own task queue) */
  taskQueue: string;
  warn: (message: string, details: Record<string, unknown>) => void;
}

/** Dispatches every undispatched event (throws only with `strict`: the sweeper wants its failures retried). */
export async function emitWebhookEvents(ctx: EmitContext, options: { strict?: boolean } = {}): Promise<DispatchResult> {
  try {
    const subscriptions = loadWebhookSubscriptions(ctx.config.models.configPath);
    return await dispatchEvents({
      pool: ctx.pool,
      client: ctx.client,
      subscriptions,
      policy: deliveryPolicy(ctx.config),
      taskQueue: ctx.taskQueue,
    });
  } catch (err) {
    if (options.strict) throw err;
    ctx.warn('webhook events not dispatched now; the webhooks-sweep Schedule dispatches them', {
      error: (err as Error).message,
    });
    return { events: 0, deliveries: 0 };
  }
}
