/**
 * `npm run demo`: the stack is already up (npm runs stack:up first). Starts a worker in this process,
 * runs the stackHealth workflow through the real Temporal server, and prints where to look.
 * Later steps of the loop (ingest, train, drift, retrain) are added to DEMO_STEPS by their modules.
 */
import { Client, Connection } from '@temporalio/client';
import { config } from '../config';
import { ValidationError } from '../errors';
import { createWorker } from '../worker';
import { stackHealth } from '../workflows/stack-health';

export async function demo(args: string[]): Promise<number> {
  if (args.length) throw new ValidationError('demo arguments', args.join(' '), 'demo takes no arguments');
  const cfg = config();
  const ui = `http://${cfg.temporal.host}:${cfg.temporal.uiPort}`;
  const connection = await Connection.connect({ address: cfg.temporal.address });
  const client = new Client({ connection, namespace: cfg.temporal.namespace });
  const handle = await createWorker({ config: cfg });
  try {
    await handle.worker.runUntil(async () => {
      const workflowId = `stack-health-${Date.now()}`;
      const health = await client.workflow.execute(stackHealth, { taskQueue: cfg.temporal.taskQueue, workflowId, args: [{ requestedBy: 'npm run demo' }] });
      console.log('\nstack health (workflow ' + workflowId + '):');
      for (const c of health.components) console.log(`  ${c.component.padEnd(9)} ${c.version.padEnd(40)} ${c.address}`);
      if (!health.h2oVersionOk) console.log(`  warning: H2O is not the pinned ${cfg.h2o.version}`);
      console.log(`  see it in the Web UI: ${ui}/namespaces/${cfg.temporal.namespace}/workflows/${workflowId}`);
    });
  } finally {
    await handle.close();
    await connection.close();
  }
  console.log(`\nTemporal Web UI: ${ui}\nThe stack keeps running: npm run stack:status, npm run stack:down.`);
  return 0;
}
