/**
 * A cancelled training run still cleans up: its running H2O job is cancelled and its frames and
 * models are deleted (cleanup runs in a non-cancellable scope of the workflow's finally).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { H2OClient } from '../../src/h2o/client';
import { trainingRunIds } from '../../src/h2o/ids';
import { progressQuery } from '../../src/shared/messages/train-models';
import { trainModels } from '../../src/workflows/train-models';
import { useChurnSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const h2o = new H2OClient(loadConfig().h2o.url);

describe('trainModels cancelled mid-training', () => {
  const suite = useStackSuite();
  const set = useChurnSet(() => suite.pool, uniqueName('fs-cancel'), 2000);

  it('cancels the H2O job and leaves no frame or model of the run behind', async () => {
    const workflowId = uniqueName('train-cancel');
    const handle = await suite.client.workflow.start(trainModels, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [
        {
          model: 'churn_cancel',
          featureSet: set.featureSet,
          target: set.target,
          window: set.window,
          metric: 'auc',
          specs: [{ name: 'slow', algorithm: 'gbm', parameters: { ntrees: 5000, max_depth: 8 } }],
        },
      ],
    });
    let jobKey: string | undefined;
    for (let i = 0; i < 400 && !jobKey; i++) {
      jobKey = (await handle.query(progressQuery).catch(() => undefined))?.specs[0]?.jobKey;
      if (!jobKey) await new Promise((r) => setTimeout(r, 250));
    }
    expect(jobKey).toBeDefined();
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    const job = await h2o.job(jobKey!);
    expect(['CANCELLED', 'FAILED']).toContain(job.status);
    const prefix = `${trainingRunIds(workflowId, handle.firstExecutionRunId).prefix}__`;
    expect((await h2o.frameIds()).filter((id) => id.startsWith(prefix))).toEqual([]);
    expect((await h2o.modelIds()).filter((id) => id.startsWith(prefix))).toEqual([]);
  });
});
