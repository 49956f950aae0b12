/**
 * `webhooks deliveries [--failed] [--json] [--limit N]`: the newest deliveries with their attempts;
 * `webhooks attempts <id> [--json]`: every attempt of one delivery (status, latency, answer);
 * `webhooks redeliver <id>`: a new run of the delivery (GitHub's "Redeliver"): same webhook-id and
 * body, a new signed timestamp, its attempts counted after the earlier ones.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { connectTemporal } from '../client';
import { config } from '../config';
import { createPool } from '../postgres';
import { ValidationError } from '../shared/errors';
import { deliveryWorkflowId } from '../shared/ids';
import {
  listAttempts,
  listDeliveries,
  loadDelivery,
  type AttemptSummary,
  type DeliverySummary,
} from '../webhooks/deliveries';
import { redeliver } from '../webhooks/dispatch';
import { deliveryPolicy } from '../webhooks/emit';
import { temporalHint } from './temporal';
import { printable, printableJson } from './terminal-text';

export function formatDeliveries(deliveries: DeliverySummary[]): string {
  if (deliveries.length === 0) return 'no deliveries';
  const rows = deliveries.map((d) =>
    [
      d.id,
      d.status.padEnd(9),
      String(d.attempts).padStart(8),
      String(d.lastResponseCode ?? '-').padStart(4),
      d.type.padEnd(19),
      (d.model ?? '-').padEnd(16),
      d.subscription.padEnd(16),
      d.createdAt.slice(0, 19),
      d.error ? printable(d.error.replace(/\s+/g, ' ').slice(0, 80)) : '',
    ].join('  '),
  );
  return [
    [
      'delivery'.padEnd(32),
      'status   ',
      'attempts',
      'code',
      'event'.padEnd(19),
      'model'.padEnd(16),
      'webhook'.padEnd(16),
      'created'.padEnd(19),
      'error',
    ].join('  '),
    ...rows,
  ].join('\n');
}

export function formatAttempts(attempts: AttemptSummary[]): string {
  if (attempts.length === 0) return 'no attempts';
  return [
    ['#'.padStart(3), 'status   ', 'code', 'latency'.padStart(9), 'started'.padEnd(19), 'answer / error'].join('  '),
    ...attempts.map((a) =>
      [
        String(a.attempt).padStart(3),
        a.status.padEnd(9),
        String(a.responseCode ?? '-').padStart(4),
        (a.latencyMs === null ? '-' : `${a.latencyMs} ms`).padStart(9),
        a.startedAt.slice(0, 19),
        printable((a.error ?? a.responseHead ?? '').replace(/\s+/g, ' ').slice(0, 100)),
      ].join('  '),
    ),
  ].join('\n');
}

function options(args: string[], allowed: string[]): { flags: Set<string>; limit: number | undefined; rest: string[] } {
  const flags = new Set<string>();
  const rest: string[] = [];
  let limit: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--limit' && allowed.includes('--limit')) {
      const raw = args[++i];
      limit = Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new ValidationError('--limit', raw, 'an integer from 1 to 10000');
    } else if (a.startsWith('-')) {
      if (!allowed.includes(a)) throw new ValidationError('webhooks option', a, `one of ${allowed.join(', ')}`);
      flags.add(a);
    } else rest.push(a);
  }
  return { flags, limit, rest };
}

export async function webhooksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const cfg = config();
  const pool = createPool(cfg.postgres, 'mlops-cli');
  try {
    if (sub === 'deliveries') {
      const o = options(rest, ['--failed', '--json', '--limit']);
      if (o.rest.length)
        throw new ValidationError(
          'webhooks deliveries arguments',
          o.rest.join(' '),
          'none: webhooks deliveries [--failed] [--json] [--limit N]',
        );
      const deliveries = await listDeliveries(pool, { failed: o.flags.has('--failed'), limit: o.limit });
      console.log(o.flags.has('--json') ? printableJson(deliveries) : formatDeliveries(deliveries));
      return 0;
    }
    if (sub === 'attempts') {
      const o = options(rest, ['--json']);
      if (o.rest.length !== 1)
        throw new ValidationError(
          'webhooks attempts arguments',
          o.rest.join(' '),
          'one delivery id: webhooks attempts <id> [--json]',
        );
      if (!(await loadDelivery(pool, o.rest[0]!)))
        throw new ValidationError('delivery', o.rest[0], 'a delivery id listed by `webhooks deliveries`');
      const attempts = await listAttempts(pool, o.rest[0]!);
      console.log(o.flags.has('--json') ? printableJson(attempts) : formatAttempts(attempts));
      return 0;
    }
    if (sub === 'redeliver') {
      const o = options(rest, []);
      if (o.rest.length !== 1)
        throw new ValidationError(
          'webhooks redeliver arguments',
          o.rest.join(' '),
          'one delivery id: webhooks redeliver <id>',
        );
      const delivery = await loadDelivery(pool, o.rest[0]!);
      if (!delivery) throw new ValidationError('delivery', o.rest[0], 'a delivery id listed by `webhooks deliveries`');
      const temporal = await connectTemporal(cfg);
      try {
        const { runId } = await redeliver(
          { pool, client: temporal.client, policy: deliveryPolicy(cfg), taskQueue: cfg.temporal.taskQueue },
          delivery,
        );
        console.log(
          `redelivering ${delivery.id} (${delivery.event.type}, ${delivery.event.id}) to webhook ${delivery.subscription}: run ${runId}`,
        );
        console.log(
          `follow it with: ${temporalHint(`workflow describe -w ${deliveryWorkflowId(delivery.id)}`)}, or webhooks attempts ${delivery.id}`,
        );
        return 0;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          throw new ValidationError(
            'delivery',
            delivery.id,
            'is being delivered right now; redeliver it once that run has ended',
          );
        throw err;
      } finally {
        await temporal.close();
      }
    }
    throw new ValidationError('webhooks subcommand', sub ?? '', 'one of deliveries, attempts, redeliver');
  } finally {
    await pool.end();
  }
}
