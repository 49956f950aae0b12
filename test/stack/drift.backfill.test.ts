/**
 * Backfills evaluate the past: `temporal schedule backfill` (the real CLI of the stack) over 3 days of
 * a daily sensor writes 3 drift reports whose windows are the 3 scheduled days (from each run's
 * TemporalScheduledStartTime, not the clock); the drift they find starts no retrain (past windows);
 * the same backfill run again adds no report (one report per model, version and window); a run of a
 * past window that asks for a retrain (retrainOnDrift) gets one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchedules } from '../../src/client';
import { driftSensor } from '../../src/workflows/drift-sensor';
import { loadModelDeclarations } from '../../src/catalog/models';
import { loadConfig } from '../../src/config';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { retrainWorkflowId, sensorScheduleId } from '../../src/shared/ids';
import { stackContext } from '../../src/stack/cli';
import { temporalBinary } from '../../src/stack/temporal';
import { FEATURES, fakeCandidate, productionVersion, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const iso = (ms: number) => new Date(ms).toISOString();
const featureSet = uniqueName('backfill-fs');
const model = uniqueName('backfill').replace(/-/g, '_');
const referenceWindow = { start: iso(today - 20 * DAY), end: iso(today - 10 * DAY) };
/** the 3 scheduled times the backfill covers: midnight 5, 4 and 3 days ago */
const scheduled = [5, 4, 3].map((d) => today - d * DAY);

function modelsFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'models-')), 'models.json');
  writeFileSync(
    path,
    JSON.stringify({
      models: {
        // a daily sensor, paused: only the backfills run it
        [model]: {
          featureSet,
          target: 'churned',
          features: FEATURES,
          metric: 'auc',
          specs: [{ name: 'glm', algorithm: 'glm' }],
          drift: { window: '1d', every: '1d', catchupWindow: '1m', paused: true },
        },
      },
    }),
  );
  return path;
}
const modelsConfig = modelsFile();
const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: modelsConfig }) });
useFeatureSet(() => suite.pool, featureSet);
const cfg = loadConfig();

function backfill(): void {
  // a minute around the first and last scheduled time, so both ends are inside the range
  execFileSync(
    temporalBinary(stackContext(() => {})),
    [
      'schedule',
      'backfill',
      '--schedule-id',
      sensorScheduleId(model),
      '--start-time',
      iso(scheduled[0]! - 60_000),
      '--end-time',
      iso(scheduled[2]! + 60_000),
      '--overlap-policy',
      'BufferAll',
      '--address',
      cfg.temporal.address,
      '--namespace',
      cfg.temporal.namespace,
    ],
    { encoding: 'utf8' },
  );
}

async function completedRuns(): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of suite.client.workflow.list({
    query: `TemporalScheduledById = "${sensorScheduleId(model)}" AND ExecutionStatus = "Completed"`,
  }))
    ids.push(w.runId);
  return ids;
}

async function waitForRuns(count: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await completedRuns()).length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} backfilled runs completed within 90 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function reports() {
  const { rows } = await suite.pool.query<{
    current_start: Date;
    current_end: Date;
    verdict: string;
    retrain_workflow_id: string | null;
  }>(
    'SELECT current_start, current_end, verdict, retrain_workflow_id FROM monitoring.drift_reports WHERE model_name = $1 ORDER BY current_end',
    [model],
  );
  return rows;
}

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, referenceWindow, 3000, { seed: 1, prefix: 'ref' });
  // each backfilled day drifted (spend up, plan tilted)
  for (const at of scheduled)
    await writeRows(suite.pool, featureSet, { start: iso(at - DAY), end: iso(at) }, 800, {
      seed: at / DAY,
      shift: 1,
      prefix: `d${at}-`,
    });
  const reference = await buildReferenceProfile(suite.pool, { featureSet, window: referenceWindow }, FEATURES, {
    bins: 10,
    maxCategories: 50,
  });
  await productionVersion(suite.pool, { ...fakeCandidate(model, 0.7, reference), featureSet, window: referenceWindow });
  await applySchedules(suite.client, loadModelDeclarations(modelsConfig), suite.worker.taskQueue);
});

afterAll(async () => {
  await suite.client.schedule
    .getHandle(sensorScheduleId(model))
    .delete()
    .catch(() => {});
});

describe('temporal schedule backfill of a daily drift sensor', () => {
  it('writes one report per scheduled day, for that day, and starts no retrain', async () => {
    backfill();
    await waitForRuns(3);
    const rows = await reports();
    expect(rows.map((r) => [r.current_start.toISOString(), r.current_end.toISOString()])).toEqual(
      scheduled.map((at) => [iso(at - DAY), iso(at)]),
    );
    expect(rows.map((r) => r.verdict)).toEqual(['drift', 'drift', 'drift']);
    expect(rows.map((r) => r.retrain_workflow_id)).toEqual([null, null, null]);
    await expect(suite.client.workflow.getHandle(retrainWorkflowId(model)).describe()).rejects.toThrow();
  });

  it('the same backfill again adds no report', async () => {
    backfill();
    await waitForRuns(6);
    const rows = await reports();
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.current_end.toISOString())).toEqual(scheduled.map(iso));
  });

  it('a past window retrains when the run asks for it (retrainOnDrift)', async () => {
    const window = { start: iso(scheduled[0]! - DAY), end: iso(scheduled[0]!) };
    const out = await suite.client.workflow.execute(driftSensor, {
      taskQueue: suite.worker.taskQueue,
      workflowId: uniqueName('sensor-asked'),
      args: [{ model, window, retrainOnDrift: true }],
    });
    expect(out).toMatchObject({ verdict: 'drift', pastWindow: true, retrainWorkflowId: retrainWorkflowId(model) });
    await suite.client.workflow.getHandle(retrainWorkflowId(model)).result();
    // the report of that window is the backfill's: the same one, now naming the retrain
    const rows = await reports();
    expect(rows).toHaveLength(3);
    expect(rows[0]!.retrain_workflow_id).toBe(retrainWorkflowId(model));
  });
});
