/** The stackHealth workflow, run by a real worker on the real Temporal server, reaches every component. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { stackHealth } from '../../src/workflows/stack-health';
import { loadConfig } from '../../src/config';
import { startTestWorker, uniqueName, type TestWorker } from '../helpers/temporal';
import { connectTemporal } from '../../src/client';

describe('stackHealth', () => {
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;

  beforeAll(async () => {
    worker = await startTestWorker();
    ({ client, close: closeClient } = await connectTemporal());
  });
  afterAll(async () => {
    await worker?.stop();
    await closeClient?.();
  });

  it('reports PostgreSQL, Redis and H2O with their versions', async () => {
    const workflowId = uniqueName('stack-health');
    const result = await client.workflow.execute(stackHealth, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ requestedBy: 'test' }],
    });

    expect(result.components.map((c) => c.component).sort()).toEqual(['h2o', 'postgres', 'redis']);
    const byName = Object.fromEntries(result.components.map((c) => [c.component, c.version]));
    expect(byName.postgres).toMatch(/^15\.\d+.*pg_partman [45]\./);
    expect(byName.redis).toMatch(/^\d+\.\d+\.\d+$/);
    expect(byName.h2o).toBe(loadConfig().h2o.version);
    expect(result.h2oVersionOk).toBe(true);
    // the shared stack's one-node cloud, complete and locked (H2O_NODES=1)
    expect(result.h2oCloud).toMatchObject({
      size: 1,
      expected: 1,
      locked: true,
      nodes: [`127.0.0.1:${loadConfig().h2o.port}`],
    });

    // The three checks really ran as activities in the workflow's history.
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name
        ? [e.activityTaskScheduledEventAttributes.activityType.name]
        : [],
    );
    expect(scheduled.sort()).toEqual(['checkH2O', 'checkPostgres', 'checkRedis']);
  });
});
