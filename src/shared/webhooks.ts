/**
 * Webhook subscriptions (models.yaml's top-level `webhooks:`), the six event types and the delivery
 * policy. Pure and workflow-safe: the delivery workflow's contract imports the policy type; the
 * delivery and sweep ids are in src/shared/ids.ts; src/webhooks/ does the I/O (docs/WEBHOOKS.md).
 *
 * ```yaml
 * webhooks:
 *   chat:
 *     url: https://hooks.example.com/mlops
 *     events: [version.promoted, version.rolled_back, drift.detected, retrain.failed]
 *     models: [churn]                 # optional: every model when absent
 *     secretEnv: WEBHOOK_SECRET_CHAT  # the worker's variable holding the HMAC key
 * ```
 */
import { z } from 'zod';
import { matching, oneOf, parseAbsoluteUrl, refuseUrlCredentials, strict } from './validation';
import { modelName } from './names';

export const WEBHOOK_EVENTS = [
  'version.registered',
  'version.promoted',
  'version.archived',
  'version.rolled_back',
  'drift.detected',
  'retrain.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** Secrets of webhooks come from variables named so: a models.yaml cannot make the worker sign with DATABASE_URL. */
export const WEBHOOK_SECRET_PREFIX = 'WEBHOOK_SECRET_';

export const WEBHOOK_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** http(s), absolute, no user:password@ (it would be stored with every delivery) and no #fragment (never sent). */
function checkWebhookUrl(url: string, ctx: z.core.$RefinementCtx<string>): void {
  const parsed = parseAbsoluteUrl(url, ctx);
  if (!parsed) return;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', params: { value: url }, message: 'an absolute http:// or https:// URL' });
    return;
  }
  if (refuseUrlCredentials(parsed, ctx, ' (receivers verify the webhook-signature header instead)')) return;
  if (parsed.hash)
    ctx.addIssue({ code: 'custom', params: { value: url }, message: 'a URL without a #fragment (it is never sent)' });
}

const eventList = z
  .array(oneOf(WEBHOOK_EVENTS), { error: `a list of event types (${WEBHOOK_EVENTS.join(', ')})` })
  .min(1, { error: `at least one event type (${WEBHOOK_EVENTS.join(', ')})` });

export const webhookSubscription = strict({
  url: z.string({ error: 'an absolute http:// or https:// URL' }).superRefine(checkWebhookUrl).meta({
    description:
      'where events are POSTed: https:// (http:// only when the worker sets WEBHOOK_ALLOW_HTTP), no credentials (receivers verify webhook-signature); redirects are not followed',
  }),
  events: eventList.meta({ description: 'the event types sent to it' }),
  models: z
    .array(modelName, { error: 'a list of model names' })
    .min(1, { error: 'a list of at least one model name (leave `models` out for every model)' })
    .optional()
    .meta({ description: 'only events of these models; every model when absent' }),
  secretEnv: matching(
    new RegExp(`^${WEBHOOK_SECRET_PREFIX}[A-Za-z0-9_]+$`),
    `an environment variable named ${WEBHOOK_SECRET_PREFIX}… (the worker reads the HMAC key from it when it sends)`,
  ).meta({
    description: `the worker's environment variable holding the signing secret (at least 32 bytes; whsec_<base64> is decoded, as Standard Webhooks does), named ${WEBHOOK_SECRET_PREFIX}…; read at send time, never stored`,
  }),
});

export const webhookSubscriptions = z
  .record(
    matching(WEBHOOK_NAME, 'a webhook name: a letter, then letters, digits, _ or -, at most 63 characters'),
    webhookSubscription,
    { error: 'a map of webhook name → subscription' },
  )
  .meta({ description: 'webhook name → subscription (docs/WEBHOOKS.md)' });

export type WebhookSubscription = z.output<typeof webhookSubscription> & { name: string };

/** Whether a subscription wants an event of `type` about `model`. */
export function subscribes(subscription: WebhookSubscription, type: WebhookEventType, model: string | null): boolean {
  if (!subscription.events.includes(type)) return false;
  return subscription.models === undefined || (model !== null && subscription.models.includes(model));
}

/** What a registry stage event announces (src/registry/queries.ts records one webhook event per stage event). */
export function stageEventType(from: string | null, to: string): WebhookEventType {
  if (to === 'archived') return 'version.archived';
  if (to === 'staging') return 'version.registered';
  // into production from staging is a promotion (approved or not); a new row straight into production is a rollback
  return from === null ? 'version.rolled_back' : 'version.promoted';
}

/** The retry policy of one delivery, from WEBHOOK_* (workflows cannot read the environment). */
export interface DeliveryPolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  /** one attempt's request timeout */
  timeoutMs: number;
}
