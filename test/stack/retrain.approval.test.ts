/**
 * retrainModel with requireApproval: the champion waits in staging; `approve` promotes it, `reject`
 * and the timeout archive it and leave production as it was. Real training on H2O (small data).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig } from '../../src/config';
import { listVersions } from '../../src/registry';
import { approve, reject, status } from '../../src/shared/messages/retrain-model';
import { retrainModel } from '../../src/workflows/retrain-model';
import { daysWindow, fakeCandidate, productionVersion, writeModelsConfig, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const suite = useStackSuite({
  workerConfig: () =>
    loadConfig({
      ...process.env,
      MODELS_CONFIG: writeModelsConfig(Object.fromEntries(models.map((n) => [n, { featureSet }]))),
    }),
});
const featureSet = uniqueName('approval-fs');
useFeatureSet(() => suite.pool, featureSet);

const models = [uniqueName('appr'), uniqueName('appr'), uniqueName('appr'), uniqueName('appr')].map((m) =>
  m.replace(/-/g, '_'),
);

async function modelWithV1(model: string): Promise<string> {
  await productionVersion(suite.pool, { ...fakeCandidate(model), featureSet });
  return model;
}

async function startRetrain(model: string, approvalTimeout: string) {
  return suite.client.workflow.start(retrainModel, {
    taskQueue: suite.worker.taskQueue,
    workflowId: `retrain-${model}`,
    args: [{ model, reason: 'manual', requireApproval: true, approvalTimeout }],
  });
}

async function untilAwaitingApproval(handle: Awaited<ReturnType<typeof startRetrain>>): Promise<void> {
  while ((await handle.query(status)).phase !== 'awaiting-approval') await new Promise((r) => setTimeout(r, 300));
}

async function stages(model: string): Promise<Array<[number, string]>> {
  return (await listVersions(suite.pool, model)).map((v) => [v.version, v.stage]);
}

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, daysWindow(2, 7), 2000, { seed: 11 });
});

describe('retrainModel with requireApproval', () => {
  it('promotes only after approve', async () => {
    const model = await modelWithV1(models[0]!);
    const handle = await startRetrain(model, '1h');
    // before the staging version exists, approve is refused by the validator
    const early = await handle.executeUpdate(approve, { args: [{ by: 'early' }] }).catch((e: Error) => e);
    expect((early as Error & { cause?: Error }).cause?.message).toMatch(/not waiting for approval/);
    await untilAwaitingApproval(handle);
    expect(await stages(model)).toEqual([
      [2, 'staging'],
      [1, 'production'],
    ]);
    // text PostgreSQL cannot store, or no one should: refused to the caller, naming the field; still waiting
    for (const [decision, field] of [
      [{ by: 'alice', comment: 'looks\u0000good' }, 'decision.comment'],
      [{ by: 'al\u0000ice' }, 'decision.by'],
      [{ by: 'alice', comment: 'x'.repeat(2001) }, 'decision.comment'],
      [{ by: 'alice\r\nbob' }, 'decision.by'],
    ] as const) {
      const refused = await handle.executeUpdate(approve, { args: [decision] }).catch((e: Error) => e);
      const cause = (refused as Error & { cause?: ApplicationFailure }).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause!.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}=`));
      expect(cause!.details).toEqual([{ field }]);
      expect((await handle.query(status)).phase).toBe('awaiting-approval');
    }
    expect(await handle.executeUpdate(approve, { args: [{ by: 'alice', comment: 'looks good' }] })).toMatch(
      /approved version 2/,
    );
    expect(await handle.result()).toMatchObject({ outcome: 'promoted', version: 2, production: 2 });
    expect(await stages(model)).toEqual([
      [2, 'production'],
      [1, 'archived'],
    ]);
    const events = await suite.pool.query(
      `SELECT reason FROM registry.stage_events WHERE model_name = $1 AND version = 2 AND to_stage = 'production'`,
      [model],
    );
    expect(events.rows[0].reason).toMatch(/approved by alice/);
  });

  it('reject leaves production unchanged', async () => {
    const model = await modelWithV1(models[1]!);
    const handle = await startRetrain(model, '1h');
    await untilAwaitingApproval(handle);
    await handle.executeUpdate(reject, { args: [{ by: 'bob' }] });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected', version: 2, production: null });
    expect(await stages(model)).toEqual([
      [2, 'archived'],
      [1, 'production'],
    ]);
  });

  it('a registry write PostgreSQL refuses (a NUL in the reason) fails at once, not retried', async () => {
    const model = await modelWithV1(models[3]!);
    const handle = await suite.client.workflow.start(retrainModel, {
      taskQueue: suite.worker.taskQueue,
      workflowId: `retrain-${model}`,
      args: [{ model, reason: 'manual\u0000', requireApproval: true, approvalTimeout: '1h' }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause = (err as WorkflowFailedError).cause;
    while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as Error & { cause?: Error }).cause;
    expect([(cause as ApplicationFailure).type, (cause as ApplicationFailure).nonRetryable]).toEqual([
      'UnstorableTextError',
      true,
    ]);
    const started = (await handle.fetchHistory()).events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
    expect(started.every((e) => e.activityTaskStartedEventAttributes!.attempt === 1)).toBe(true);
    expect(await stages(model)).toEqual([[1, 'production']]);
  });

  it('the approval timeout leaves production unchanged', async () => {
    const model = await modelWithV1(models[2]!);
    const handle = await startRetrain(model, '2s');
    expect(await handle.result()).toMatchObject({ outcome: 'approval-timeout', version: 2 });
    expect(await stages(model)).toEqual([
      [2, 'archived'],
      [1, 'production'],
    ]);
  });
});
