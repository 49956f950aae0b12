/**
 * deliverWebhook: one event to one subscription. Each activity attempt is one signed POST (src/webhooks/
 * post.ts), recorded in webhooks.attempts; Temporal's retry policy is the backoff (WEBHOOK_*, passed
 * in since workflows cannot read the environment): 5xx, 408, 429 (after its Retry-After), timeouts and
 * connection errors are retried, other answers are not. The run ends with the delivery marked
 * delivered (by the attempt that got a 2xx) or failed (here), and a failed delivery fails the run, so
 * the Web UI lists it. Workflow id webhook-<deliveryId> (src/webhooks/dispatch.ts starts it, through startWebhookDelivery in src/client.ts).
 * The input holds ids and numbers only: the secret is read by the activity when it signs.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { createWebhookActivities } from '../activities/webhooks';
import type { DeliverWebhookWorkflow } from '../shared/contracts/deliver-webhook';
import { FailureType } from '../shared/errors';

const { markWebhookFailed } = proxyActivities<ReturnType<typeof createWebhookActivities>>({
  startToCloseTimeout: '30 seconds',
});

export const deliverWebhook = async function deliverWebhook(input) {
  const { policy } = input;
  const { sendWebhook } = proxyActivities<ReturnType<typeof createWebhookActivities>>({
    // the request's own timeout, plus the bookkeeping before and after it
    startToCloseTimeout: policy.timeoutMs + 15_000,
    retry: {
      initialInterval: policy.initialIntervalMs,
      maximumInterval: policy.maxIntervalMs,
      backoffCoefficient: 2,
      maximumAttempts: policy.maxAttempts,
      nonRetryableErrorTypes: [FailureType.WebhookRejected, FailureType.Config, FailureType.Validation],
    },
  });
  try {
    const sent = await sendWebhook({ deliveryId: input.deliveryId, timeoutMs: policy.timeoutMs });
    setCurrentDetails(`delivered on attempt ${sent.attempt} (HTTP ${sent.responseCode})`);
    return { deliveryId: input.deliveryId, status: 'delivered', ...sent };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    await markWebhookFailed({ deliveryId: input.deliveryId, error: message });
    setCurrentDetails(`failed: ${message}`);
    throw ApplicationFailure.nonRetryable(`delivery ${input.deliveryId} failed: ${message}`, FailureType.WebhookFailed);
  }
} satisfies DeliverWebhookWorkflow;
