/**
 * Sensor runs that must fail cleanly instead of hanging: bad input and a stored reference without
 * `features` fail the run (non-retryable, naming field and value) instead of retrying its workflow
 * task forever; the schedule's next run still starts. A run that hangs (no worker polls its queue)
 * is timed out by the action's run timeout, and the next run starts too. A retrain's bad input fails
 * its run the same way.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchedules, sensorScheduleOptions } from '../../src/client';
import { loadModelDeclarations } from '../../src/catalog/models';
import { loadConfig } from '../../src/config';
import { promoteVersion, registerVersion } from '../../src/registry';
import { FailureType } from '../../src/shared/errors';
import { sensorScheduleId } from '../../src/shared/ids';
import { driftSensor } from '../../src/workflows/drift-sensor';
import { retrainModel } from '../../src/workflows/retrain-model';
import { fakeCandidate } from './drift.dataset';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const broken = uniqueName('broken').replace(/-/g, '_');
const hanging = uniqueName('hang').replace(/-/g, '_');
const badPolicy = uniqueName('badpol').replace(/-/g, '_');
const fine = uniqueName('fine').replace(/-/g, '_');

function modelsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'models-'));
  const path = join(dir, 'models.json');
  const base = { featureSet: 'fs', target: 'y', metric: 'auc', specs: [{ name: 'glm', algorithm: 'glm' }] };
  writeFileSync(
    path,
    JSON.stringify({
      models: {
        [broken]: { ...base, drift: { window: '1d', every: '2s', catchupWindow: '1m', runTimeout: '1m' } },
        [hanging]: { ...base, drift: { window: '1d', every: '3s', catchupWindow: '1m', runTimeout: '2s' } },
        // valid on its own; combined with DRIFT_PSI_DRIFT (0.25) it is not
        [badPolicy]: { ...base, drift: { window: '1d', warnThreshold: 0.4 } },
        [fine]: { ...base, drift: { window: '1d' } },
      },
    }),
  );
  return path;
}
const modelsConfig = modelsFile();
const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: modelsConfig }) });
const schedules: string[] = [];

/** A production version whose stored reference is `reference` (written as JSON, as a bad writer could). */
async function production(model: string, reference: unknown): Promise<void> {
  const c = await suite.pool.connect();
  try {
    const { version } = await registerVersion(c, {
      candidate: fakeCandidate(model),
      workflowId: 'setup',
      runId: 'setup',
    });
    await c.query('UPDATE registry.model_versions SET reference = $3 WHERE model_name = $1 AND version = $2', [
      model,
      version,
      JSON.stringify(reference),
    ]);
    await promoteVersion(c, { model, version, reason: 'test setup' });
  } finally {
    c.release();
  }
}

/** The runs a schedule started so far, oldest first. */
async function runsOf(client: Client, scheduleId: string) {
  const runs: Array<{ workflowId: string; status: string }> = [];
  for await (const w of client.workflow.list({ query: `TemporalScheduledById = "${scheduleId}"` }))
    runs.push({ workflowId: w.workflowId, status: w.status.name });
  return runs.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause;
  // a check made by an activity (the declared policy) fails it, and the run with it
  if (cause instanceof ActivityFailure) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

beforeAll(async () => {
  await production(broken, {
    featureSet: 'fs',
    window: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' },
    rows: 10,
  });
  await production(fine, {
    featureSet: 'fs',
    rows: 10,
    features: { x: { kind: 'numeric', edges: [1], shares: [0.5, 0.5], nullShare: 0 } },
  });
  await production(badPolicy, {
    featureSet: 'fs',
    rows: 10,
    features: { x: { kind: 'numeric', edges: [1], shares: [0.5, 0.5], nullShare: 0 } },
  });
});

afterAll(async () => {
  for (const id of schedules)
    await suite.client.schedule
      .getHandle(id)
      .delete()
      .catch(() => {});
});

describe('driftSensor fails cleanly', () => {
  const start = (input: unknown) =>
    suite.client.workflow.execute(driftSensor, {
      taskQueue: suite.worker.taskQueue,
      workflowId: uniqueName('sensor-bad'),
      args: [input as Parameters<typeof driftSensor>[0]],
    });

  it('bad input fails the run once, naming the field and the value', async () => {
    const name = await failureOf(start({ model: 'Not A Name' }));
    expect([name.type, name.nonRetryable]).toEqual([FailureType.Validation, true]);
    expect(name.message).toContain('model="Not A Name"');

    const typo = await failureOf(start({ model: broken, polcy: {} }));
    expect(typo.message).toContain('polcy=');

    const window = await failureOf(
      start({ model: broken, window: { start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' } }),
    );
    expect(window.message).toContain('window.end="2026-01-01T00:00:00Z"');
  });

  it('a retrain with a bad window fails the run, naming the field', async () => {
    const bad = await failureOf(
      suite.client.workflow.execute(retrainModel, {
        taskQueue: suite.worker.taskQueue,
        workflowId: uniqueName('retrain-bad'),
        args: [{ model: fine, reason: 'manual', window: { start: 'yesterday', end: '2026-01-01T00:00:00Z' } }],
      }),
    );
    expect([bad.type, bad.nonRetryable]).toEqual([FailureType.Validation, true]);
    expect(bad.message).toContain('window.start="yesterday" is invalid');
  });

  it('thresholds from the run input and from models.yaml are checked, naming field and value', async () => {
    const typed = await failureOf(start({ model: fine, policy: { minRows: 0.5 } }));
    expect(typed.message).toContain('policy.minRows=0.5 is invalid');
    const inverted = await failureOf(start({ model: fine, policy: { warnThreshold: 0.3, driftThreshold: 0.2 } }));
    expect([inverted.type, inverted.nonRetryable]).toEqual([FailureType.Validation, true]);
    expect(inverted.message).toContain('policy.driftThreshold=0.2 is invalid: a PSI >= warnThreshold (0.3)');
    const declared = await failureOf(start({ model: badPolicy }));
    expect(declared.message).toContain('models.');
    expect(declared.message).toContain(
      `${badPolicy}.drift.driftThreshold=0.25 is invalid: a PSI >= warnThreshold (0.4)`,
    );
    // both thresholds declared and inverted: the file itself is refused
    const path = join(mkdtempSync(join(tmpdir(), 'models-')), 'models.json');
    writeFileSync(
      path,
      JSON.stringify({
        models: {
          m: {
            featureSet: 'fs',
            target: 'y',
            metric: 'auc',
            specs: [{ name: 'glm', algorithm: 'glm' }],
            drift: { warnThreshold: 0.3, driftThreshold: 0.2 },
          },
        },
      }),
    );
    expect(() => loadModelDeclarations(path)).toThrow(
      'models.m.drift.driftThreshold=0.2 is invalid: a PSI >= warnThreshold (0.3)',
    );
  });

  it('a reference without features fails the scheduled run, and the next scheduled run still starts', async () => {
    const options = sensorScheduleOptions(
      loadModelDeclarations(modelsConfig).find((m) => m.name === broken)!,
      suite.worker.taskQueue,
    )!;
    expect(options.action).toMatchObject({ workflowRunTimeout: 60_000 });
    schedules.push(options.scheduleId);
    await applySchedules(
      suite.client,
      loadModelDeclarations(modelsConfig).filter((m) => m.name === broken),
      suite.worker.taskQueue,
    );
    const runs = await until('two runs of the broken sensor, the first failed', async () => {
      const r = await runsOf(suite.client, sensorScheduleId(broken));
      return r.length >= 2 && r[0]!.status === 'FAILED' ? r : undefined;
    });
    await suite.client.schedule.getHandle(options.scheduleId).pause('test done');
    const failure = await failureOf(suite.client.workflow.getHandle(runs[0]!.workflowId).result());
    expect([failure.type, failure.nonRetryable]).toEqual([FailureType.Validation, true]);
    expect(failure.message).toContain('reference.features=undefined is invalid');
    expect(failure.message).toContain(`${broken} version 1`);
    // failed at once: one workflow task, not a task retried in a loop
    const history = await suite.client.workflow.getHandle(runs[0]!.workflowId).fetchHistory();
    expect(history.events!.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(0);
  });

  it('a run that hangs is timed out by the schedule action, and the next run starts', async () => {
    // no worker polls this queue: every run hangs until its 2 s run timeout
    const queue = uniqueName('tq-nobody');
    const declared = loadModelDeclarations(modelsConfig).filter((m) => m.name === hanging);
    schedules.push(sensorScheduleId(hanging));
    await applySchedules(suite.client, declared, queue);
    const runs = await until('a timed-out run followed by another run', async () => {
      const r = await runsOf(suite.client, sensorScheduleId(hanging));
      return r.length >= 2 && r[0]!.status === 'TIMED_OUT' ? r : undefined;
    });
    await suite.client.schedule.getHandle(sensorScheduleId(hanging)).pause('test done');
    expect(runs.length).toBeGreaterThanOrEqual(2);
  });
});
