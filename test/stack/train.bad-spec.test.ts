/**
 * Specs H2O rejects: each fails its own branch, non-retryably, with H2O's message; the others finish
 * (a grid spec among them). With every spec bad, the run fails naming each spec and its reason. Either
 * way nothing of the run stays on the cluster but the champion.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { FailureType } from '../../src/shared/errors';
import { H2OClient } from '../../src/h2o/client';
import { trainingRunIds } from '../../src/h2o/ids';
import { trainModels } from '../../src/workflows/train-models';
import type { TrainModelsInput } from '../../src/shared/contracts/train-models';
import { useChurnSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const h2o = new H2OClient(loadConfig().h2o.url);

/** The run's ids (they derive from the workflow id and the run id). */
async function runIds(client: Client, workflowId: string) {
  return trainingRunIds(workflowId, (await client.workflow.getHandle(workflowId).describe()).runId);
}

async function leftovers(client: Client, workflowId: string): Promise<{ frames: string[]; models: string[] }> {
  const prefix = `${(await runIds(client, workflowId)).prefix}__`;
  return {
    frames: (await h2o.frameIds()).filter((id) => id.startsWith(prefix)),
    models: (await h2o.modelIds()).filter((id) => id.startsWith(prefix)),
  };
}

describe('trainModels with specs H2O rejects', () => {
  const suite = useStackSuite();
  const set = useChurnSet(() => suite.pool, uniqueName('fs-bad'), 2000);
  const base = (): Omit<TrainModelsInput, 'specs'> => ({
    model: 'churn_bad',
    featureSet: set.featureSet,
    target: set.target,
    window: set.window,
    metric: 'logloss',
    seed: 3,
  });

  it("fails the rejected specs alone, with H2O's message, and trains the others (a grid among them)", async () => {
    const workflowId = uniqueName('train-bad');
    const out = await suite.client.workflow.execute(trainModels, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [
        {
          ...base(),
          specs: [
            { name: 'unknown_param', algorithm: 'gbm', parameters: { ntrees: 5, not_a_param: 1 } },
            { name: 'bad_value', algorithm: 'drf', parameters: { ntrees: -1 } },
            { name: 'glm', algorithm: 'glm', parameters: { family: 'binomial' } },
            { name: 'gbm_grid', algorithm: 'gbm', parameters: { ntrees: 5 }, grid: { max_depth: [2, 3] } },
          ],
        },
      ],
    });
    const byName = Object.fromEntries(out.branches.map((b) => [b.specName, b]));
    expect(byName.unknown_param!.status).toBe('failed');
    expect(byName.unknown_param!.error).toContain('Unknown parameter: not_a_param');
    expect(byName.bad_value!.status).toBe('failed');
    expect(byName.bad_value!.error).toMatch(/ntrees must be between 1 and/);
    expect(byName.glm!.status).toBe('succeeded');
    expect(byName.gbm_grid!.status).toBe('succeeded');
    expect(byName.gbm_grid!.h2oModelId).toMatch(
      new RegExp(`^${(await runIds(suite.client, workflowId)).spec('gbm_grid')}_model_\\d+$`),
    );
    expect(['glm', 'gbm_grid']).toContain(out.champion.specName);
    expect(out.champion.metricValue).toBe(Math.min(byName.glm!.metricValue!, byName.gbm_grid!.metricValue!));

    // Rejected specs are not retried: one trainSpecOnSlot attempt each.
    const history = await suite.client.workflow.getHandle(workflowId).fetchHistory();
    const starts = history.events!.filter(
      (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
    );
    expect(starts).toEqual([]);

    expect(await leftovers(suite.client, workflowId)).toEqual({ frames: [], models: [out.champion.h2oModelId] });
    await h2o.deleteModel(out.champion.h2oModelId);
  });

  it('fails the run when every spec is rejected, naming each spec and reason, and leaves nothing behind', async () => {
    const workflowId = uniqueName('train-allbad');
    const err = await suite.client.workflow
      .execute(trainModels, {
        taskQueue: suite.worker.taskQueue,
        workflowId,
        args: [
          {
            ...base(),
            specs: [
              { name: 'a', algorithm: 'gbm', parameters: { bogus: 1 } },
              { name: 'b', algorithm: 'glm', parameters: { family: 'no_such_family' } },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(FailureType.TrainingFailed);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(cause!.message).toContain('a: ');
    expect(cause!.message).toContain('Unknown parameter: bogus');
    expect(cause!.message).toContain('b: ');
    expect(cause!.message).toContain('no_such_family');
    expect(await leftovers(suite.client, workflowId)).toEqual({ frames: [], models: [] });
  });

  it('rejects bad input before touching anything, naming the field', async () => {
    const err = await suite.client.workflow
      .execute(trainModels, {
        taskQueue: suite.worker.taskQueue,
        workflowId: uniqueName('train-invalid'),
        args: [{ ...base(), specs: [{ name: 'x y', algorithm: 'gbm' }] }],
      })
      .catch((e: unknown) => e);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(FailureType.Validation);
    expect(cause.message).toContain('specs[0].name="x y"');
  });
});
