/** The contract of sweepWebhooks (src/workflows/sweep-webhooks.ts), run by the `webhooks-sweep` Schedule. */

export const SWEEP_WEBHOOKS = 'sweepWebhooks';

export interface SweepWebhooksOutput {
  events: number;
  deliveries: number;
}

export type SweepWebhooksWorkflow = () => Promise<SweepWebhooksOutput>;
