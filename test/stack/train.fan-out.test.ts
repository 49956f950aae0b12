/**
 * trainModels on the real stack: three specs (GBM, DRF, GLM) train in parallel on a generated
 * binary-classification set; the champion's metric is what H2O reports; its MOJO is a real zip; the
 * run's frames and losing models are gone from the cluster afterwards.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { H2OClient } from '../../src/h2o/client';
import { trainingRunIds } from '../../src/h2o/ids';
import { progressQuery } from '../../src/shared/messages/train-models';
import { trainModels } from '../../src/workflows/train-models';
import type { TrainModelsInput } from '../../src/shared/contracts/train-models';
import { useChurnSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';
import { readZip } from '../../src/mojo/zip';

const h2o = new H2OClient(loadConfig().h2o.url);

describe('trainModels fan-out', () => {
  const suite = useStackSuite();
  const set = useChurnSet(() => suite.pool, uniqueName('fs-train'), 3000);

  it("trains GBM, DRF and GLM in parallel, picks the champion by H2O's validation AUC and exports its MOJO", async () => {
    const workflowId = uniqueName('train');
    const input: TrainModelsInput = {
      model: 'churn_test',
      featureSet: set.featureSet,
      target: set.target,
      window: set.window,
      metric: 'auc',
      seed: 7,
      specs: [
        { name: 'gbm', algorithm: 'gbm', parameters: { ntrees: 20, max_depth: 4 } },
        { name: 'drf', algorithm: 'drf', parameters: { ntrees: 20, max_depth: 8 } },
        { name: 'glm', algorithm: 'glm', parameters: { family: 'binomial', lambda: 0 } },
      ],
    };
    const handle = await suite.client.workflow.start(trainModels, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [input],
    });
    const out = await handle.result();

    expect(out.branches.map((b) => [b.specName, b.status])).toEqual([
      ['gbm', 'succeeded'],
      ['drf', 'succeeded'],
      ['glm', 'succeeded'],
    ]);
    expect(out.frameRows.train + out.frameRows.validation).toBe(3000);
    expect(out.frameRows.validation).toBeGreaterThan(300);

    // The champion has the best AUC of the branches, and that AUC is exactly what H2O reports.
    const best = Math.max(...out.branches.map((b) => b.metricValue!));
    expect(out.champion.metricValue).toBe(best);
    const model = await h2o.model(out.champion.h2oModelId);
    expect(model.output?.validation_metrics?.AUC).toBe(out.champion.metricValue);
    expect(out.champion.metrics.auc).toBe(out.champion.metricValue);
    expect(out.champion.metrics.logloss).toBe(model.output?.validation_metrics?.logloss);
    expect(out.champion.h2oVersion).toBe(loadConfig().h2o.version);

    // The branches ran at the same time: each training job started before any other one finished.
    const history = await handle.fetchHistory();
    const awaits = history.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainSpecOnSlot',
    );
    expect(awaits).toHaveLength(3);
    const firstCompletion = history.events!.findIndex(
      (e) =>
        e.activityTaskCompletedEventAttributes &&
        history.events!.some(
          (s) =>
            s.activityTaskScheduledEventAttributes?.activityType?.name === 'trainSpecOnSlot' &&
            String(s.eventId) === String(e.activityTaskCompletedEventAttributes!.scheduledEventId),
        ),
    );
    for (const scheduled of awaits) expect(history.events!.indexOf(scheduled)).toBeLessThan(firstCompletion);

    // The MOJO: a real zip whose model.ini names the champion's algorithm; the sha256 matches the file.
    const expectedPath = `${loadConfig().worker.artifactDir}/churn_test/${workflowId}/${out.champion.h2oModelId}.zip`;
    expect(out.champion.artifactPath).toBe(expectedPath);
    expect(createHash('sha256').update(readFileSync(out.champion.artifactPath)).digest('hex')).toBe(
      out.champion.artifactSha256,
    );
    const zip = readZip(readFileSync(out.champion.artifactPath), out.champion.artifactPath);
    const ini = zip.read('model.ini').toString('utf8');
    expect(ini).toMatch(new RegExp(`^algo = ${out.champion.algorithm}$`, 'm'));
    expect(ini).toMatch(/^category = Binomial$/m);

    // Reference histograms of the features the models were trained on.
    expect(Object.keys(out.champion.reference.features).sort()).toEqual(set.features);

    // The query shows every spec's final state.
    const progress = await handle.query(progressQuery);
    expect(progress.stage).toBe('done');
    expect(progress.specs.every((s) => s.state === 'succeeded' && s.progress === 1)).toBe(true);

    // Nothing of the run is left on the cluster but the champion.
    const prefix = `${trainingRunIds(workflowId, handle.firstExecutionRunId).prefix}__`;
    expect((await h2o.frameIds()).filter((id) => id.startsWith(prefix))).toEqual([]);
    expect((await h2o.modelIds()).filter((id) => id.startsWith(prefix))).toEqual([out.champion.h2oModelId]);
    await h2o.deleteModel(out.champion.h2oModelId);
  });
});
