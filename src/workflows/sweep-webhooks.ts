/**
 * sweepWebhooks: starts the deliveries of events whose start was lost (a worker that died between the
 * commit of a registry change and the start of its deliveries). Run by the `webhooks-sweep` Schedule
 * (`schedules apply`, every WEBHOOK_SWEEP_INTERVAL_S); dispatching is idempotent, so a sweep that
 * races an emission starts nothing twice.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { createWebhookActivities } from '../activities/webhooks';
import type { SweepWebhooksWorkflow } from '../shared/contracts/sweep-webhooks';

const { dispatchWebhookEvents } = proxyActivities<ReturnType<typeof createWebhookActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export const sweepWebhooks = async function sweepWebhooks() {
  const result = await dispatchWebhookEvents();
  setCurrentDetails(`${result.events} events dispatched, ${result.deliveries} deliveries started`);
  return result;
} satisfies SweepWebhooksWorkflow;
