/**
 * From the outbox to delivery workflows: for each event not yet dispatched, one delivery row and one
 * `deliverWebhook` run per subscription that wants it, then the event is marked dispatched. Every step
 * is idempotent (delivery id = hash(subscription, event id); workflow id webhook-<delivery id>, reuse
 * policy REJECT_DUPLICATE), so the registry activities after their commit, the CLI, and the sweeper
 * can all run it at once, and a crash anywhere in it is repaired by the next run.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { startWebhookDelivery } from '../client';
import { subscribes, type DeliveryPolicy, type WebhookSubscription } from '../shared/webhooks';
import {
  deliveryIdOf,
  insertDelivery,
  markDispatched,
  markPending,
  undispatchedEvents,
  type StoredEvent,
} from './deliveries';

export interface DispatchContext {
  pool: Pick<Pool, 'query'>;
  client: Client;
  subscriptions: WebhookSubscription[];
  policy: DeliveryPolicy;
  taskQueue: string;
}

export interface DispatchResult {
  events: number;
  deliveries: number;
}

/** Events taken per call; the sweeper's next run (or the next emission) takes the rest. */
const BATCH = 200;

/** The one way events go out: every undispatched event gets its deliveries started. */
export async function dispatchEvents(ctx: DispatchContext): Promise<DispatchResult> {
  const result: DispatchResult = { events: 0, deliveries: 0 };
  for (const event of await undispatchedEvents(ctx.pool, BATCH)) {
    for (const subscription of ctx.subscriptions.filter((s) => subscribes(s, event.type, event.model))) {
      const id = deliveryIdOf(subscription.name, event);
      await insertDelivery(ctx.pool, { id, eventId: event.id, subscription: subscription.name });
      await startDelivery(ctx, id, subscription.name, event, 'first');
      result.deliveries++;
    }
    await markDispatched(ctx.pool, event.id);
    result.events++;
  }
  return result;
}

/**
 * Starts a delivery's workflow. 'first': a run with that id that exists already (running or closed)
 * is the delivery, and nothing is started. 'again' (redeliver): a new run of the same workflow id,
 * refused while one is running.
 */
export async function startDelivery(
  ctx: Omit<DispatchContext, 'subscriptions'>,
  deliveryId: string,
  subscription: string,
  event: Pick<StoredEvent, 'id' | 'type'>,
  mode: 'first' | 'again',
): Promise<{ started: boolean; runId?: string }> {
  return startWebhookDelivery(
    ctx.client,
    { deliveryId, policy: ctx.policy },
    { taskQueue: ctx.taskQueue, subscription, event, mode },
  );
}

/** A new run for a delivery (pending again; its attempts keep counting). Throws WorkflowExecutionAlreadyStartedError while one runs. */
export async function redeliver(
  ctx: Omit<DispatchContext, 'subscriptions'>,
  delivery: { id: string; subscription: string; event: Pick<StoredEvent, 'id' | 'type'> },
): Promise<{ runId?: string }> {
  // pending first: the new run may finish before a later update would land, and must not be overwritten
  await markPending(ctx.pool, delivery.id);
  return startDelivery(ctx, delivery.id, delivery.subscription, delivery.event, 'again');
}
