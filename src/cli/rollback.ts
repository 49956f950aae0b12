/**
 * `rollback <model> --to <version> [--reason <text>]`: production goes back to an earlier version's
 * artifact, registered as a new version (a rollback is a version bump, recorded with rolled_back_from).
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { config } from '../config';
import { RegistryError, ValidationError } from '../shared/errors';
import { createPool } from '../postgres';
import { rollbackVersion } from '../registry';
import { connectTemporal, type TemporalClient } from '../client';
import { emitWebhookEvents } from '../webhooks/emit';
import type { Pool } from 'pg';

/** Starts the rollback's webhook deliveries (its events are committed: when Temporal is away the sweeper sends them). */
async function emitFromCli(pool: Pool): Promise<void> {
  const cfg = config();
  const warn = (message: string, details: Record<string, unknown>) =>
    console.error(`warning: ${message} (${String(details.error)})`);
  let temporal: TemporalClient;
  try {
    temporal = await connectTemporal(cfg);
  } catch (err) {
    warn('webhook events not dispatched now; the webhooks-sweep Schedule dispatches them', {
      error: (err as Error).message,
    });
    return;
  }
  try {
    await emitWebhookEvents({ config: cfg, pool, client: temporal.client, taskQueue: cfg.temporal.taskQueue, warn });
  } finally {
    await temporal.close();
  }
}

export async function rollbackCommand(args: string[]): Promise<number> {
  let model: string | undefined;
  let to: number | undefined;
  let reason = 'manual rollback';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--to') {
      const raw = args[++i];
      to = Number(raw);
      if (!Number.isInteger(to) || to < 1) throw new ValidationError('--to', raw, 'a version number >= 1');
    } else if (a === '--reason') {
      reason = args[++i] ?? '';
      if (!reason) throw new ValidationError('--reason', reason, 'a non-empty text');
    } else if (a.startsWith('-')) throw new ValidationError('rollback option', a, 'one of --to, --reason');
    else if (model === undefined) model = a;
    else
      throw new ValidationError(
        'rollback arguments',
        a,
        'one model name: rollback <model> --to <version> [--reason <text>]',
      );
  }
  if (!model) throw new ValidationError('model', model, 'a model name: rollback <model> --to <version>');
  if (to === undefined) throw new ValidationError('--to', to, 'the version to roll back to');
  const pool = createPool(config().postgres, 'mlops-cli');
  const client = await pool.connect();
  try {
    const who = `${userInfo().username}@${hostname()}`;
    const result = await rollbackVersion(client, {
      model,
      toVersion: to,
      reason: `${reason} (by ${who})`,
      workflowId: `cli-rollback:${who}`,
      runId: randomUUID(),
    });
    console.log(
      `${model}: version ${result.version} is in production, re-deploying version ${result.rolledBackFrom}${result.archived ? `; version ${result.archived} archived` : ''}`,
    );
    await emitFromCli(pool);
    return 0;
  } catch (err) {
    if (err instanceof RegistryError) throw new ValidationError('--to', to, err.message);
    throw err;
  } finally {
    client.release();
    await pool.end();
  }
}
