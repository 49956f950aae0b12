/**
 * driftSensor over closed days with profiles: the default run reads them and its report records
 * read_method 'profiles' (partitions from profiles, nothing scanned); `exact: true` scans every row
 * and records 'exact'; both give the same verdict and, for integer and categorical features, the same PSI.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { profileClosedPartitions } from '../../src/feature-store/partition-profiles';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { driftSensor } from '../../src/workflows/drift-sensor';
import type { TimeWindow } from '../../src/shared/time-window';
import { FEATURES, fakeCandidate, productionVersion, writeModelsConfig, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const day = (ago: number) => new Date(today - ago * DAY).toISOString();
const featureSet = uniqueName('drift-prof-fs');
const model = uniqueName('prof').replace(/-/g, '_');
const modelsConfig = writeModelsConfig({ [model]: { featureSet } });
const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: modelsConfig }) });
useFeatureSet(() => suite.pool, featureSet, { profiles: true });
const referenceWindow: TimeWindow = { start: day(12), end: day(10) };

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, referenceWindow, 4000, { seed: 1, prefix: 'ref' });
  await writeRows(suite.pool, featureSet, { start: day(10), end: day(6) }, 8000, {
    seed: 2,
    prefix: 'cur',
    shift: 0.8,
  });
  const reference = await buildReferenceProfile(suite.pool, { featureSet, window: referenceWindow }, FEATURES, {
    bins: 10,
    maxCategories: 50,
  });
  await productionVersion(suite.pool, { ...fakeCandidate(model, 0.7, reference), featureSet, window: referenceWindow });
  await profileClosedPartitions(suite.pool, 2, () => {}, featureSet);
});

const run = (window: TimeWindow, exact?: boolean) =>
  suite.client.workflow.execute(driftSensor, {
    taskQueue: suite.worker.taskQueue,
    workflowId: uniqueName('sensor-prof'),
    args: [{ model, window, retrainOnDrift: false, ...(exact === undefined ? {} : { exact }) }],
  });
const report = async (id: number) =>
  (await suite.pool.query('SELECT * FROM monitoring.drift_reports WHERE id = $1', [id])).rows[0];

describe('driftSensor with partition profiles', () => {
  it('reads closed days from profiles by default and scans with exact: true, recording which', async () => {
    // two windows of the same days (a report is unique per window): [10, 6), and one ending 1 ms earlier
    const w1 = { start: day(10), end: day(6) };
    const w2 = { start: day(10), end: new Date(today - 6 * DAY - 1).toISOString() };
    const fromProfiles = await run(w1);
    const exact = await run(w2, true);
    expect(fromProfiles.readMethod).toBe('profiles');
    expect(exact.readMethod).toBe('exact');
    expect(fromProfiles.verdict).toBe('drift');
    expect(exact.verdict).toBe('drift');
    const r1 = await report(fromProfiles.reportId!);
    const r2 = await report(exact.reportId!);
    expect(r1.read_method).toBe('profiles');
    expect(r1.read_stats).toMatchObject({
      partitionsFromProfiles: 4,
      partitionsFromOpenProfiles: 0,
      scanned: [],
      rowsScanned: 0,
    });
    expect(r2.read_method).toBe('exact');
    expect(r2.read_stats).toMatchObject({
      partitionsFromProfiles: 0,
      scanned: [{ ...w2, reason: 'exact' }],
      rowsScanned: Number(r2.current_rows),
    });
    expect(Number(r1.current_rows)).toBe(8000);
    for (const f of ['tenure', 'plan']) expect(r1.feature_stats[f].psi).toBeCloseTo(r2.feature_stats[f].psi, 10);
    expect(Math.abs(r1.feature_stats.spend.psi - r2.feature_stats.spend.psi)).toBeLessThanOrEqual(0.01);
  });
});
