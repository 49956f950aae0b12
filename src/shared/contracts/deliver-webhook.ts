/** The contract of deliverWebhook (src/workflows/deliver-webhook.ts): ids and numbers only, the secret is read when signing. */
import type { DeliveryPolicy } from '../webhooks';

export const DELIVER_WEBHOOK = 'deliverWebhook';

export interface DeliverWebhookInput {
  deliveryId: string;
  policy: DeliveryPolicy;
}

export interface DeliverWebhookOutput {
  deliveryId: string;
  status: 'delivered';
  attempt: number;
  responseCode: number;
}

export type DeliverWebhookWorkflow = (input: DeliverWebhookInput) => Promise<DeliverWebhookOutput>;
