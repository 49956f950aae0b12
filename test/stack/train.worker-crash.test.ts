/**
 * A worker SIGKILLed while branches poll their H2O jobs: after a new worker starts, the retried
 * trainSpecOnSlot finds the job its first attempt started (the same H2O job key) and polls it, no spec is trained
 * a second time, and the cluster ends with one training job per spec.
 */
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { H2OClient } from '../../src/h2o/client';
import { trainingRunIds } from '../../src/h2o/ids';
import { progressQuery, type TrainModelsProgress } from '../../src/shared/messages/train-models';
import { trainModels } from '../../src/workflows/train-models';
import { useChurnSet } from '../helpers/feature-sets';
import { testPool } from '../helpers/postgres';
import { killWorkerProcess, spawnWorkerProcess, uniqueName } from '../helpers/temporal';
import { connectTemporal } from '../../src/client';

const h2o = new H2OClient(loadConfig().h2o.url);

describe('trainModels survives a worker crash', () => {
  let pool: Pool;
  let client: Client;
  let closeClient: () => Promise<void>;
  const children: ChildProcess[] = [];

  // the pool first and closed last: the churn set is written after it opens and deleted before it closes
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await pool?.end();
  });
  const set = useChurnSet(() => pool, uniqueName('fs-crash'), 3000);

  beforeAll(async () => {
    ({ client, close: closeClient } = await connectTemporal());
  });

  afterAll(async () => {
    for (const child of children) await killWorkerProcess(child);
    await closeClient?.();
  });

  it('resumes polling the same H2O jobs after SIGKILL and trains each spec once', async () => {
    const taskQueue = uniqueName('tq-crash');
    const workflowId = uniqueName('train-crash');
    children.push(await spawnWorkerProcess(taskQueue));
    const handle = await client.workflow.start(trainModels, {
      taskQueue,
      workflowId,
      args: [
        {
          model: 'churn_crash',
          featureSet: set.featureSet,
          target: set.target,
          window: set.window,
          metric: 'auc',
          seed: 11,
          specs: [
            // Slow enough (tens of seconds on 2 cores) to be mid-training when the worker dies.
            { name: 'gbm_slow', algorithm: 'gbm', parameters: { ntrees: 1000, max_depth: 6 } },
            { name: 'drf', algorithm: 'drf', parameters: { ntrees: 200, max_depth: 10 } },
          ],
        },
      ],
    });

    // Wait until both branches poll their jobs, then kill the worker.
    let before: TrainModelsProgress | undefined;
    for (let i = 0; i < 600; i++) {
      before = await handle.query(progressQuery).catch(() => undefined);
      if (before?.specs.every((s) => s.state === 'training' && s.jobKey)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(before?.specs.map((s) => s.state)).toEqual(['training', 'training']);
    await new Promise((r) => setTimeout(r, 2000));
    const slowJob = await h2o.job(before!.specs[0]!.jobKey!);
    expect(slowJob.status).toBe('RUNNING');
    await killWorkerProcess(children[0]!);

    children.push(await spawnWorkerProcess(taskQueue));
    const out = await handle.result();
    expect(out.branches.map((b) => b.status)).toEqual(['succeeded', 'succeeded']);

    // The retried trainSpecOnSlot found the job its first attempt started: same job key, marked resumed.
    const history = await handle.fetchHistory();
    const awaitScheduled = new Map<string, string>();
    for (const e of history.events!) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name === 'trainSpecOnSlot')
        awaitScheduled.set(
          String(e.eventId),
          JSON.parse(Buffer.from(s.input!.payloads![0]!.data!).toString()).specName,
        );
    }
    const results = history
      .events!.filter(
        (e) =>
          e.activityTaskCompletedEventAttributes &&
          awaitScheduled.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)),
      )
      .map((e) => ({
        spec: awaitScheduled.get(String(e.activityTaskCompletedEventAttributes!.scheduledEventId)),
        ...(JSON.parse(Buffer.from(e.activityTaskCompletedEventAttributes!.result!.payloads![0]!.data!).toString()) as {
          jobKey: string;
          resumed: boolean;
        }),
      }));
    const slow = results.find((r) => r.spec === 'gbm_slow')!;
    expect(slow.jobKey).toBe(before!.specs[0]!.jobKey);
    expect(slow.resumed).toBe(true);
    const retried = history.events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);

    // One training job per spec on the cluster, each DONE: nothing was trained twice.
    const ids = trainingRunIds(workflowId, handle.firstExecutionRunId);
    const jobs = await h2o.jobs();
    for (const spec of ['gbm_slow', 'drf']) {
      const mine = jobs.filter((j) => j.dest?.name === ids.spec(spec));
      expect(mine.map((j) => j.status)).toEqual(['DONE']);
    }
    expect(jobs.find((j) => j.dest?.name === ids.spec('gbm_slow'))!.key.name).toBe(slowJob.key.name);
    // And of the two models only the champion remains.
    expect((await h2o.modelIds()).filter((id) => id.startsWith(`${ids.prefix}__`))).toEqual([out.champion.h2oModelId]);
    await h2o.deleteModel(out.champion.h2oModelId);
  });
});
