/**
 * Every retrain records whether the platform's scorer can serve its champion, and never promotes one
 * it cannot silently: a real H2O training of a servable GLM (promoted, servable) and of a GBM with
 * categorical_encoding=OneHotExplicit (archived as unservable, production unchanged), plus the
 * registry's own refusal to promote an unservable version unless asked.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { RegistryError } from '../../src/shared/errors';
import { listVersions, promoteVersion, registerVersion } from '../../src/registry';
import { retrainModel } from '../../src/workflows/retrain-model';
import { daysWindow, fakeCandidate, writeModelsConfig, writeRows } from './drift.dataset';
import { deleteFeatureSets } from '../helpers/feature-store-cleanup';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const featureSet = uniqueName('servable-fs');
const model = uniqueName('servable').replace(/-/g, '_');
const suite = useStackSuite({
  workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: writeModelsConfig({ [model]: { featureSet } }) }),
});

async function retrain(args: Parameters<typeof retrainModel>[0]) {
  return suite.client.workflow.execute(retrainModel, {
    taskQueue: suite.worker.taskQueue,
    workflowId: uniqueName(`retrain-${model}`),
    args: [args],
  });
}

describe('servability of retrained versions', () => {
  it('a servable champion is promoted and recorded servable; an unservable one is archived with the reason', async () => {
    await writeRows(suite.pool, featureSet, daysWindow(1, 5), 1500, { seed: 5 });
    try {
      const first = await retrain({ model, reason: 'manual', ingestSource: false });
      expect(first).toMatchObject({ outcome: 'promoted', version: 1 });
      const second = await retrain({
        model,
        reason: 'manual',
        ingestSource: false,
        training: {
          specs: [
            {
              name: 'onehot',
              algorithm: 'gbm',
              parameters: { ntrees: 3, max_depth: 3, categorical_encoding: 'OneHotExplicit' },
            },
          ],
        },
      });
      expect(second).toMatchObject({ outcome: 'unservable', version: 2 });
      const versions = await listVersions(suite.pool, model);
      expect(versions.map((v) => [v.version, v.stage, v.servable])).toEqual([
        [2, 'archived', false],
        [1, 'production', true],
      ]);
      expect(versions[0]!.servingProblem).toContain(
        '_genmodel_encoding: "OneHotExplicit" (categorical_encoding) is not supported',
      );
      const events = await suite.pool.query(
        `SELECT reason FROM registry.stage_events WHERE model_name = $1 AND version = 2 AND to_stage = 'archived'`,
        [model],
      );
      expect(events.rows[0].reason).toMatch(/^unservable: MOJO .*_genmodel_encoding/);
    } finally {
      await deleteFeatureSets(suite.pool, featureSet);
    }
  }, 300_000);

  it('the registry refuses to promote an unservable version unless allowUnservable', async () => {
    const name = uniqueName('unservable').replace(/-/g, '_');
    const c = await suite.pool.connect();
    try {
      const { version } = await registerVersion(c, {
        candidate: fakeCandidate(name),
        workflowId: 'w',
        runId: 'r',
        serving: { servable: false, problem: 'MOJO x.zip: algo: "xgboost" is not supported' },
      });
      const err = await promoteVersion(c, { model: name, version, reason: 'try' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toBe(
        `model="${name}" version=1: cannot be served by the platform's scorer (MOJO x.zip: algo: "xgboost" is not supported); promote with allowUnservable to serve it some other way`,
      );
      expect(
        await promoteVersion(c, { model: name, version, reason: 'served elsewhere', allowUnservable: true }),
      ).toMatchObject({ outcome: 'promoted', production: 1 });
    } finally {
      c.release();
    }
  });
});
