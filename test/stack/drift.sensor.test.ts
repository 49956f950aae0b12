/**
 * driftSensor against the real stack: no drift → a report and nothing started; too few rows →
 * insufficient_data and no retrain; drift → one retrain (real trainModels on H2O), a version bump and
 * lineage; ten sensors racing on one drifted model start exactly one retrain.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { listVersions } from '../../src/registry';
import { driftSensor } from '../../src/workflows/drift-sensor';
import { reject, status } from '../../src/shared/messages/retrain-model';
import type { RetrainModelOutput } from '../../src/shared/contracts/retrain-model';
import { FEATURES, daysWindow, fakeCandidate, productionVersion, writeModelsConfig, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const featureSet = uniqueName('drift-fs');
const model = uniqueName('drift').replace(/-/g, '_');
const raceModel = uniqueName('race').replace(/-/g, '_');
const referenceWindow = daysWindow(2, 7);
const modelsConfig = writeModelsConfig({
  [model]: { featureSet },
  [raceModel]: { featureSet, requireApproval: true, approvalTimeout: '1h' },
});
const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: modelsConfig }) });
useFeatureSet(() => suite.pool, featureSet);

/** Registers and promotes version 1 of `name` with the reference of the generated training window. */
async function productionV1(name: string): Promise<void> {
  const reference = await buildReferenceProfile(suite.pool, { featureSet, window: referenceWindow }, FEATURES, {
    bins: 10,
    maxCategories: 50,
  });
  await productionVersion(suite.pool, { ...fakeCandidate(name, 0.7, reference), featureSet, window: referenceWindow });
}

async function runSensor(name: string, window: ReturnType<typeof daysWindow>, id = uniqueName(`sensor-${name}`)) {
  return suite.client.workflow.execute(driftSensor, {
    taskQueue: suite.worker.taskQueue,
    workflowId: id,
    args: [{ model: name, window }],
  });
}

async function report(id: number) {
  return (await suite.pool.query('SELECT * FROM monitoring.drift_reports WHERE id = $1', [id])).rows[0];
}

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, referenceWindow, 3000, { seed: 1, prefix: 'ref' });
  await productionV1(model);
  await productionV1(raceModel);
});

describe('driftSensor', () => {
  it('no drift: writes a report with verdict ok and starts nothing', async () => {
    const window = daysWindow(1, 1);
    await writeRows(suite.pool, featureSet, window, 1500, { seed: 2, prefix: 'same' });
    const out = await runSensor(model, window);
    expect(out.verdict).toBe('ok');
    expect(out.maxPsi).toBeLessThan(0.1);
    expect(out.retrainWorkflowId).toBeUndefined();
    const row = await report(out.reportId!);
    expect(row).toMatchObject({
      model_name: model,
      model_version: 1,
      verdict: 'ok',
      current_rows: 1500,
      retrain_workflow_id: null,
    });
    expect(Object.keys(row.feature_stats).sort()).toEqual([...FEATURES].sort());
    await expect(suite.client.workflow.getHandle(`retrain-${model}`).describe()).rejects.toThrow();
  });

  it('too few rows: insufficient_data, never drift, no retrain', async () => {
    const window = daysWindow(0, 0.25);
    await writeRows(suite.pool, featureSet, window, 60, { seed: 3, shift: 2, prefix: 'few' });
    const out = await runSensor(model, window);
    expect(out.verdict).toBe('insufficient_data');
    expect(out.maxPsi).toBeGreaterThan(0.25); // the shift is there, the sample is too small to act on
    expect((await report(out.reportId!)).retrain_workflow_id).toBeNull();
    await expect(suite.client.workflow.getHandle(`retrain-${model}`).describe()).rejects.toThrow();
  });

  it('drift: starts one retrain that registers and promotes version 2 with lineage', async () => {
    const window = daysWindow(-1, 1); // [now − 1h … ) style window ending in the future: today's rows
    await writeRows(suite.pool, featureSet, window, 1500, { seed: 4, shift: 1, prefix: 'drift' });
    const out = await runSensor(model, window);
    expect(out.verdict).toBe('drift');
    expect(out.retrainWorkflowId).toBe(`retrain-${model}`);
    expect((await report(out.reportId!)).retrain_workflow_id).toBe(`retrain-${model}`);
    const retrain = (await suite.client.workflow.getHandle(`retrain-${model}`).result()) as RetrainModelOutput;
    expect(retrain).toMatchObject({ model, version: 2, outcome: 'promoted', production: 2 });
    const versions = await listVersions(suite.pool, model);
    expect(versions.map((v) => [v.version, v.stage])).toEqual([
      [2, 'production'],
      [1, 'archived'],
    ]);
    expect(versions[0]).toMatchObject({ workflowId: `retrain-${model}`, driftReportId: out.reportId, featureSet });
    expect(versions[0]!.window).not.toBeNull();
    const description = await suite.client.workflow.getHandle(`retrain-${model}`).describe();
    expect(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['ModelName', model],
        ['Trigger', 'drift'],
        ['ModelVersion', 2],
      ]),
    );
  });

  it('ten sensors racing on one drifted model start exactly one retrain', async () => {
    const window = daysWindow(-1, 1);
    const outs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => runSensor(raceModel, window, `race-${raceModel}-${i}`)),
    );
    expect(outs.every((o) => o.verdict === 'drift' && o.retrainWorkflowId === `retrain-${raceModel}`)).toBe(true);
    const handle = suite.client.workflow.getHandle(`retrain-${raceModel}`);
    const runIds = new Set<string>();
    for await (const w of suite.client.workflow.list({ query: `WorkflowId = "retrain-${raceModel}"` }))
      runIds.add(w.runId);
    expect(runIds.size).toBe(1);
    // the retrain waits for approval (declared requireApproval); reject it and production stays version 1
    while ((await handle.query(status)).phase !== 'awaiting-approval') await new Promise((r) => setTimeout(r, 500));
    await handle.executeUpdate(reject, { args: [{ by: 'test', comment: 'race test' }] });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected', version: 2 });
    const versions = await listVersions(suite.pool, raceModel);
    expect(versions.map((v) => [v.version, v.stage])).toEqual([
      [2, 'archived'],
      [1, 'production'],
    ]);
  });
});
