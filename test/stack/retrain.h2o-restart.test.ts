/**
 * H2O killed (SIGKILL) and restarted while a retrain trains: the polls ride out the downtime on
 * timer heartbeats, the restarted cluster has forgotten the job, frames and models (H2O keeps nothing
 * across restarts), the training run detects the lost job, extracts its frames again and trains
 * again, and the retrain ends with exactly one new registered version. The stack's own H2O component
 * (src/stack/h2o.ts) kills and restarts the cluster, and the test leaves it healthy.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { H2OClient } from '../../src/h2o/client';
import { loadConfig } from '../../src/config';
import { listVersions } from '../../src/registry';
import { startRetrain } from '../../src/client';
import { retrainTrainingWorkflowId } from '../../src/shared/ids';
import { progressQuery } from '../../src/shared/messages/train-models';
import { stackContext } from '../../src/stack/cli';
import { h2oComponent } from '../../src/stack/h2o';
import { stopDaemon } from '../../src/stack/process';
import type { RetrainModelOutput } from '../../src/shared/contracts/retrain-model';
import type { TrainModelsOutput } from '../../src/shared/contracts/train-models';
import { useChurnSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const suite = useStackSuite();
const ctx = stackContext(() => {});
const h2o = new H2OClient(loadConfig().h2o.url);
const model = uniqueName('restart').replace(/-/g, '_');
const set = useChurnSet(() => suite.pool, uniqueName('fs-restart'), 3000);

afterAll(async () => {
  // whatever happened, the shared stack gets its H2O back (a no-op when it runs)
  await h2oComponent.up(ctx);
});

describe('a retrain while H2O is killed and restarted', () => {
  it('detects the lost job, rebuilds, and registers exactly one new version', async () => {
    const handle = await startRetrain(
      suite.client,
      {
        model,
        reason: 'manual: h2o restart test',
        ingestSource: false,
        window: set.window,
        training: {
          featureSet: set.featureSet,
          target: set.target,
          metric: 'auc',
          seed: 3,
          // trains for ~10 s each round, so H2O dies mid-training
          specs: [
            { name: 'gbm', algorithm: 'gbm', parameters: { ntrees: 100000, max_depth: 4, max_runtime_secs: 10 } },
          ],
        },
      },
      { taskQueue: suite.worker.taskQueue },
    );
    const train = suite.client.workflow.getHandle(
      retrainTrainingWorkflowId(handle.workflowId, handle.firstExecutionRunId),
    );

    // wait until the spec's job runs on H2O
    const deadline = Date.now() + 120_000;
    let jobKey: string | undefined;
    while (!jobKey) {
      if (Date.now() > deadline) throw new Error('the spec never started training');
      const progress = await train.query(progressQuery).catch(() => undefined);
      const spec = progress?.specs[0];
      if (spec?.state === 'training' && spec.jobKey) jobKey = spec.jobKey;
      else await new Promise((r) => setTimeout(r, 300));
    }
    expect((await h2o.job(jobKey)).status).toBe('RUNNING');

    // kill H2O (SIGTERM then SIGKILL at once: no grace), then start it again
    expect(await stopDaemon('h2o', ctx.paths, 0)).toBe(true);
    await expect(h2o.cloud()).rejects.toThrow();
    await h2oComponent.up(ctx);
    await expect(h2o.job(jobKey)).rejects.toThrow(/Job is missing/); // the restarted cluster forgot it

    const out = (await handle.result()) as RetrainModelOutput;
    expect(out).toMatchObject({ model, version: 1, outcome: 'promoted', production: 1 });
    const versions = await listVersions(suite.pool, model);
    expect(versions.map((v) => [v.version, v.stage])).toEqual([[1, 'production']]);

    const trained = (await train.result()) as TrainModelsOutput;
    expect(trained.rebuilds).toBe(1);
    expect(trained.branches).toEqual([expect.objectContaining({ specName: 'gbm', status: 'succeeded' })]);
    // the frames were extracted again and the job started again: twice each in the history
    const history = await train.fetchHistory();
    const scheduled = history
      .events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(scheduled.filter((n) => n === 'extractTrainingSet')).toHaveLength(2);
    expect(scheduled.filter((n) => n === 'trainSpecOnSlot')).toHaveLength(2);
    expect(scheduled.filter((n) => n === 'exportChampionMojo')).toHaveLength(1);
  });
});
