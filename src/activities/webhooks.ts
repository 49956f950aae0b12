/**
 * Webhook activities: one signed POST per attempt (sendWebhook), marking a delivery failed, the sweep,
 * and recording a failed retrain. `emitAfterCommit` is how the other activities announce their
 * changes (src/webhooks/emit.ts). The signing secret is read from the worker's environment here, at
 * send time, and goes nowhere but into the HMAC.
 */
import { activityInfo, getClient, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { performance } from 'node:perf_hooks';
import type { PoolClient } from 'pg';
import { withClient as withPoolClient } from '../postgres';
import { loadWebhookSubscriptions } from '../catalog/models';
import { readSecretEnv } from '../config';
import { ConfigError, FailureType, ValidationError } from '../shared/errors';
import {
  beginAttempt,
  deliveryBody,
  finishAttempt,
  loadDelivery,
  markFailed,
  type AttemptKey,
} from '../webhooks/deliveries';
import { emitWebhookEvents } from '../webhooks/emit';
import { recordRetrainFailed, type RetrainFailure } from '../webhooks/outbox';
import { createWebhookAgent, postWebhook, webhookDestinations } from '../webhooks/post';
import { deliveryHeaders, signingKey } from '../webhooks/signature';
import type { ActivityDeps } from './deps';

export interface SendWebhookInput {
  deliveryId: string;
  timeoutMs: number;
}

export interface SendWebhookOutput {
  attempt: number;
  responseCode: number;
}

/** Called by an activity after its change committed: starts the deliveries of the events it recorded (never throws). */
export async function emitAfterCommit({ config, pool }: ActivityDeps): Promise<void> {
  await emitWebhookEvents({
    config,
    pool,
    client: getClient(),
    taskQueue: activityInfo().taskQueue,
    warn: (m, d) => log.warn(m, d),
  });
}

export function createWebhookActivities(deps: ActivityDeps) {
  const { config, pool } = deps;
  const destinations = webhookDestinations(config.webhooks);
  const agent = createWebhookAgent(destinations);
  const withClient = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => withPoolClient(pool, work);

  return {
    /** One attempt of a delivery: one signed POST, recorded before it goes out and when it is answered. */
    async sendWebhook(input: SendWebhookInput): Promise<SendWebhookOutput> {
      const delivery = await loadDelivery(pool, input.deliveryId);
      if (!delivery) throw new ValidationError('deliveryId', input.deliveryId, 'a delivery of webhooks.deliveries');
      const info = activityInfo();
      if (delivery.status === 'delivered') {
        // an earlier attempt of this run got its 2xx and the worker died before reporting it: do not send it again
        const { rows } = await pool.query<{ attempt: number; response_code: number }>(
          `SELECT attempt, response_code FROM webhooks.attempts WHERE delivery_id = $1 AND status = 'delivered' ORDER BY attempt DESC LIMIT 1`,
          [delivery.id],
        );
        if (rows[0]) return { attempt: rows[0].attempt, responseCode: rows[0].response_code };
      }
      const subscription = loadWebhookSubscriptions(config.models.configPath).find(
        (s) => s.name === delivery.subscription,
      );
      if (!subscription)
        throw new ConfigError(
          'MODELS_CONFIG',
          config.models.configPath,
          `a models file that declares webhooks.${delivery.subscription} (the subscription of delivery ${delivery.id})`,
        );
      const secret = readSecretEnv(subscription.secretEnv);
      if (secret === undefined)
        throw new ConfigError(
          subscription.secretEnv,
          undefined,
          `the signing secret of webhooks.${subscription.name}, set on the worker`,
        );
      const signing = signingKey(secret);
      if ('problem' in signing)
        throw new ConfigError(subscription.secretEnv, '<not shown>', `${signing.problem}; set it and redeliver`);

      const timestamp = Math.floor(Date.now() / 1000);
      const body = deliveryBody(delivery.event);
      const key: AttemptKey = {
        deliveryId: delivery.id,
        workflowRunId: info.workflowExecution?.runId ?? info.activityId,
        activityAttempt: info.attempt,
      };
      const attempt = await withClient((c) => beginAttempt(c, key, subscription.url, timestamp));
      const headers = deliveryHeaders(
        secret,
        { id: delivery.id, event: delivery.event.type, attempt },
        timestamp,
        body,
      );
      const started = performance.now();
      const outcome = await postWebhook(agent, subscription.url, headers, body, input.timeoutMs, destinations);
      const latencyMs = Math.round(performance.now() - started);
      const error = outcome.kind === 'delivered' ? null : outcome.reason;
      await withClient((c) =>
        finishAttempt(c, key, {
          status: outcome.kind,
          latencyMs,
          responseCode: outcome.status,
          responseHead: outcome.head,
          error,
        }),
      );

      const where = `webhook ${subscription.name} (${new URL(subscription.url).origin}), attempt ${attempt}`;
      if (outcome.kind === 'delivered') return { attempt, responseCode: outcome.status };
      if (outcome.kind === 'rejected')
        throw ApplicationFailure.nonRetryable(`${where}: ${outcome.reason}`, FailureType.WebhookRejected, {
          status: outcome.status,
        });
      // Retry-After wins over the backoff: the receiver said when it can take the event
      throw ApplicationFailure.create({
        message: `${where}: ${outcome.reason}`,
        type: FailureType.WebhookRetry,
        nonRetryable: false,
        details: [{ status: outcome.status }],
        nextRetryDelay: outcome.retryAfterMs,
      });
    },

    /** The delivery's attempts ran out or were refused. */
    async markWebhookFailed(input: { deliveryId: string; error: string }): Promise<void> {
      await markFailed(pool, input.deliveryId, input.error);
    },

    /** The sweep: starts the deliveries of every undispatched event (failures are retried, unlike an emission's). */
    async dispatchWebhookEvents(): Promise<{ events: number; deliveries: number }> {
      return emitWebhookEvents(
        { config, pool, client: getClient(), taskQueue: activityInfo().taskQueue, warn: (m, d) => log.warn(m, d) },
        { strict: true },
      );
    },

    /** retrain.failed for a run (idempotent by run id), then its delivery. */
    async recordRetrainFailure(input: RetrainFailure): Promise<void> {
      await recordRetrainFailed(pool, input);
      await emitAfterCommit(deps);
    },
  };
}
