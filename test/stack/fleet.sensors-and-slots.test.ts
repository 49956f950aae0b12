/**
 * A small fleet on one worker: 33 models over three feature sets, one of which drifts, every sensor
 * started by its own Schedule in the same minute (the stable ones spread by jitter). Every run completes; only the drifting feature set's three models retrain; with one
 * training slot their H2O jobs run one at a time (never two at once, from the histories) while the
 * others wait, which RetrainState shows (queued while a retrain trains); each retrained model gets
 * exactly one new version; and the worker keeps no finished run in its cache. `schedules apply`
 * creates then updates the fleet's schedules, with jitter.
 */
import type { ScheduleExecutionResult, WorkflowExecutionInfo } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDeclarations } from '../../src/catalog/models';
import { applySchedules } from '../../src/client';
import { loadConfig, type Config } from '../../src/config';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { listVersions } from '../../src/registry';
import { sensorScheduleId } from '../../src/shared/ids';
import type { DriftSensorWorkflow } from '../../src/shared/contracts/drift-sensor';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';
import { FEATURES, daysWindow, fakeCandidate, productionVersion, writeModelsConfig, writeRows } from './drift.dataset';

const SLOTS = 1;
const stamp = uniqueName('fleet').replace(/-/g, '_');
const stable = [`${stamp}_a`, `${stamp}_b`];
const drifting = `${stamp}_d`;
const models = [
  ...Array.from({ length: 30 }, (_, i) => ({ name: `${stamp}_m${i}`, featureSet: stable[i % 2]! })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `${stamp}_drift${i}`, featureSet: drifting })),
];
const driftingModels = models.filter((m) => m.featureSet === drifting).map((m) => m.name);
const modelsConfig = writeModelsConfig(
  Object.fromEntries(models.map((m) => [m.name, { featureSet: m.featureSet, jitter: '5m' }])),
);
const referenceWindow = daysWindow(2, 5);
const current = daysWindow(0, 1);
const quoted = (names: string[]) => names.map((n) => `'${n}'`).join(', ');

describe('a fleet of sensors due at once, retrains on training slots', () => {
  const suite = useStackSuite({
    workerConfig: (): Config => ({
      ...loadConfig(),
      models: { configPath: modelsConfig },
      training: { ...loadConfig().training, slots: SLOTS },
    }),
  });
  useFeatureSet(() => suite.pool, [...stable, drifting]);
  const scheduleIds: string[] = [];

  beforeAll(async () => {
    for (const [i, fs] of [...stable, drifting].entries()) {
      await writeRows(suite.pool, fs, referenceWindow, 2000, { seed: 1 + i, prefix: 'ref' });
      await writeRows(suite.pool, fs, current, 1500, { seed: 10 + i, prefix: 'cur', shift: fs === drifting ? 1 : 0 });
      const reference = await buildReferenceProfile(suite.pool, { featureSet: fs, window: referenceWindow }, FEATURES, {
        bins: 10,
        maxCategories: 50,
      });
      for (const m of models.filter((x) => x.featureSet === fs)) {
        await productionVersion(
          suite.pool,
          { ...fakeCandidate(m.name, 0.6, reference), featureSet: fs, window: referenceWindow },
          { allowUnservable: true },
        );
      }
    }
  }, 300_000);

  afterAll(async () => {
    for (const id of scheduleIds)
      await suite.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => {});
  });

  it('schedules apply creates, then updates, one jittered schedule per model', async () => {
    const declared = loadModelDeclarations(modelsConfig);
    const first = await applySchedules(suite.client, declared, suite.worker.taskQueue, { concurrency: 8 });
    scheduleIds.push(...first.map((a) => a.scheduleId));
    expect(first.map((a) => a.outcome)).toEqual(models.map(() => 'created'));
    const again = await applySchedules(suite.client, declared, suite.worker.taskQueue, { concurrency: 8 });
    expect(again.map((a) => a.outcome)).toEqual(models.map(() => 'updated'));
    const described = await suite.client.schedule.getHandle(sensorScheduleId(models[0]!.name)).describe();
    expect(described.spec.jitter).toBe(5 * 60_000); // declared jitter: 5m, as the fleet template does
    // gone before the top of the hour can fire them: the next test starts the sensors itself
    for (const id of scheduleIds.splice(0)) await suite.client.schedule.getHandle(id).delete();
  });

  /** Each schedule's first action; a schedule is deleted as soon as it has fired, so it fires once. */
  async function firstActions(ids: string[], withinMs: number): Promise<ScheduleExecutionResult[]> {
    const found = new Map<string, ScheduleExecutionResult>();
    const deadline = Date.now() + withinMs;
    while (found.size < ids.length) {
      if (Date.now() > deadline)
        throw new Error(
          `${ids.length - found.size} of ${ids.length} schedules did not fire within ${withinMs / 1000} s`,
        );
      await Promise.all(
        ids
          .filter((id) => !found.has(id))
          .map(async (id) => {
            const handle = suite.client.schedule.getHandle(id);
            const first = (await handle.describe()).info.recentActions[0];
            if (first) {
              found.set(id, first);
              await handle.delete();
            }
          }),
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
    return ids.map((id) => found.get(id)!);
  }

  it('runs every sensor from its Schedule, all due in the same minute and spread by jitter; retrains only the drifting models, one training job at a time', async () => {
    // every minute: the next minute makes every schedule of the fleet due at once. The stable models'
    // schedules have 20 s of jitter; the drifting ones none, so their retrains meet at the training slot.
    const jitter = (name: string) => (driftingModels.includes(name) ? {} : { jitter: '20s' });
    const minutely = loadModelDeclarations(
      writeModelsConfig(
        Object.fromEntries(models.map((m) => [m.name, { featureSet: m.featureSet, every: '1m', ...jitter(m.name) }])),
      ),
    );
    // not in the last seconds of a minute, or the fleet would be split between two minutes
    const untilMinute = 60_000 - (Date.now() % 60_000);
    if (untilMinute < 10_000) await new Promise((r) => setTimeout(r, untilMinute + 1_000));
    const applied = await applySchedules(suite.client, minutely, suite.worker.taskQueue, { concurrency: 8 });
    scheduleIds.push(...applied.map((a) => a.scheduleId));
    // From the first firing until the retrains end: how many wait for a slot, how many train (RetrainState, the documented query)
    const observed: { queued: number; training: number }[] = [];
    let retrainsDone = false;
    const watching = (async () => {
      const until = Date.now() + 600_000;
      while (!retrainsDone && Date.now() < until) {
        const scope = `ModelName IN (${quoted(driftingModels)}) AND ExecutionStatus = "Running"`;
        const [queued, training] = await Promise.all([
          suite.client.workflow.count(`RetrainState = "queued" AND ${scope}`),
          suite.client.workflow.count(`RetrainState = "training" AND ${scope}`),
        ]);
        observed.push({ queued: queued.count, training: training.count });
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    const fired = await firstActions(
      applied.map((a) => a.scheduleId),
      150_000,
    );
    const minute = Math.floor(Math.min(...fired.map((f) => f.scheduledAt.getTime())) / 60_000) * 60_000;
    const offsets = (drifting: boolean) =>
      fired
        .filter((_, i) => driftingModels.includes(applied[i]!.model) === drifting)
        .map((f) => f.scheduledAt.getTime() - minute);
    expect(offsets(true)).toEqual(driftingModels.map(() => 0)); // on the minute
    const jittered = offsets(false);
    for (const t of jittered) expect(t).toBeLessThan(20_000); // the same minute, within the jitter
    expect(Math.max(...jittered) - Math.min(...jittered)).toBeGreaterThan(2_000); // spread out, not all at once
    const handles = fired.map((f) =>
      suite.client.workflow.getHandle<DriftSensorWorkflow>(
        f.action.workflow.workflowId,
        f.action.workflow.firstExecutionRunId,
      ),
    );

    const outs = await Promise.all(handles.map((h) => h.result()));
    expect(outs).toHaveLength(models.length);
    const verdicts = Object.fromEntries(outs.map((o) => [o.model, o.verdict]));
    for (const m of models) expect(verdicts[m.name], m.name).toBe(driftingModels.includes(m.name) ? 'drift' : 'ok');
    const retrainIds = outs
      .filter((o) => o.retrainWorkflowId)
      .map((o) => o.model)
      .sort();
    expect(retrainIds).toEqual([...driftingModels].sort());

    const retrains = await Promise.all(
      driftingModels.map((m) =>
        suite.client.workflow.getHandle(outs.find((o) => o.model === m)!.retrainWorkflowId!).result(),
      ),
    ).finally(() => (retrainsDone = true));
    await watching;
    for (const r of retrains) expect(r).toMatchObject({ outcome: 'promoted', version: 2, production: 2 });

    // a retrain waited for the slot while another trained, and every one ended done
    expect(observed.some((o) => o.queued >= 1 && o.training >= 1)).toBe(true);
    expect(
      (await suite.client.workflow.count(`RetrainState = "done" AND ModelName IN (${quoted(driftingModels)})`)).count,
    ).toBe(driftingModels.length);

    // no retrain for a model that did not drift
    const allRetrains: WorkflowExecutionInfo[] = [];
    for await (const w of suite.client.workflow.list({
      query: `WorkflowType = "retrainModel" AND ModelName IN (${quoted(models.map((m) => m.name))})`,
    }))
      allRetrains.push(w);
    expect(allRetrains.map((w) => w.searchAttributes.ModelName?.[0]).sort()).toEqual([...driftingModels].sort());

    // the training slot's activities never overlapped: intervals from the trainModels histories
    const intervals: [number, number][] = [];
    for await (const w of suite.client.workflow.list({
      query: `WorkflowType = "trainModels" AND ModelName IN (${quoted(driftingModels)})`,
    })) {
      const events = (await suite.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory()).events!;
      const slotted = new Set(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainSpecOnSlot')
          .map((e) => String(e.eventId)),
      );
      const startedAt = new Map<string, number>();
      for (const e of events) {
        const at = Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
        const started = e.activityTaskStartedEventAttributes;
        if (started && slotted.has(String(started.scheduledEventId)))
          startedAt.set(String(started.scheduledEventId), at);
        const closed =
          e.activityTaskCompletedEventAttributes ??
          e.activityTaskFailedEventAttributes ??
          e.activityTaskTimedOutEventAttributes;
        if (closed && slotted.has(String(closed.scheduledEventId)))
          intervals.push([startedAt.get(String(closed.scheduledEventId))!, at]);
      }
    }
    expect(intervals).toHaveLength(driftingModels.length); // one spec each, no retry
    const edges = intervals
      .flatMap(
        ([s, e]) =>
          [
            [s, 1],
            [e, -1],
          ] as const,
      )
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let running = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (running += d));
    expect(most).toBe(SLOTS);

    // exactly one new version per retrained model; the others keep their one version
    for (const m of models) {
      const versions = (await listVersions(suite.pool, m.name)).map((v) => [v.version, v.stage]).sort();
      expect(versions, m.name).toEqual(
        driftingModels.includes(m.name)
          ? [
              [1, 'archived'],
              [2, 'production'],
            ]
          : [[1, 'production']],
      );
    }

    // memory does not follow the fleet: no finished run stays in the worker's workflow cache
    await expect.poll(() => suite.worker.cachedWorkflows(), { timeout: 30_000 }).toBe(0);
  }, 900_000);
});
