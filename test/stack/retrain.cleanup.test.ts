/**
 * What a retrain leaves behind, on the real stack:
 * - cancelled while its version awaits approval: the version is archived by a non-cancellable step;
 * - terminated there (no workflow code runs): the version stays in staging until the model's next
 *   retrain archives it, naming the ended run;
 * - in H2O's memory: after each retrain only the newest TRAINING_KEEP_H2O_MODELS (1) champions of the
 *   model stay; older champions and frames a run left behind are deleted (their MOJOs are on disk).
 */
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { startRetrain } from '../../src/client';
import { loadConfig } from '../../src/config';
import { H2OClient } from '../../src/h2o/client';
import { listVersions } from '../../src/registry';
import { status } from '../../src/shared/messages/retrain-model';
import type { RetrainModelInput, RetrainModelOutput } from '../../src/shared/contracts/retrain-model';
import { useChurnSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, TRAINING_KEEP_H2O_MODELS: '1' }) });
const h2o = new H2OClient(loadConfig().h2o.url);
const model = uniqueName('cleanup').replace(/-/g, '_');
const set = useChurnSet(() => suite.pool, uniqueName('fs-cleanup'), 2000);

function retrain(requireApproval: boolean) {
  const input: RetrainModelInput = {
    model,
    reason: 'manual: cleanup test',
    ingestSource: false,
    window: set.window,
    requireApproval,
    approvalTimeout: '1h',
    training: {
      featureSet: set.featureSet,
      target: set.target,
      metric: 'auc',
      seed: 1,
      specs: [{ name: 'glm', algorithm: 'glm', parameters: { family: 'binomial' } }],
    },
  };
  return startRetrain(suite.client, input, { taskQueue: suite.worker.taskQueue });
}

async function awaitingApproval(handle: Awaited<ReturnType<typeof retrain>>): Promise<number> {
  for (;;) {
    const s = await handle.query(status);
    if (s.phase === 'awaiting-approval') return s.version!;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function stages(): Promise<Array<[number, string]>> {
  return (await listVersions(suite.pool, model)).map((v) => [v.version, v.stage]);
}

async function lastEventReason(version: number): Promise<string> {
  const { rows } = await suite.pool.query<{ reason: string }>(
    'SELECT reason FROM registry.stage_events WHERE model_name = $1 AND version = $2 ORDER BY id DESC LIMIT 1',
    [model, version],
  );
  return rows[0]!.reason;
}

async function championOf(version: number): Promise<string> {
  const { rows } = await suite.pool.query<{ h2o_model_id: string }>(
    'SELECT h2o_model_id FROM registry.model_versions WHERE model_name = $1 AND version = $2',
    [model, version],
  );
  return rows[0]!.h2o_model_id;
}

const prefixOf = (h2oModelId: string) => h2oModelId.split('__')[0]!;

describe('retrain cleanup', () => {
  it('a cancelled approval archives its version', async () => {
    const handle = await retrain(true);
    const version = await awaitingApproval(handle);
    expect(await stages()).toEqual([[version, 'staging']]);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await stages()).toEqual([[version, 'archived']]);
    expect(await lastEventReason(version)).toMatch(/retrain cancelled before a decision \(phase awaiting-approval\)/);
  });

  it('a terminated approval stays in staging until the next retrain archives it; H2O keeps only the newest champion', async () => {
    const terminated = await retrain(true);
    const v2 = await awaitingApproval(terminated);
    await terminated.terminate('test: terminate while awaiting approval');
    expect((await stages())[0]).toEqual([v2, 'staging']); // terminate runs no workflow code

    // both earlier champions are still in H2O's memory (each run keeps its champion), plus a frame a
    // failed cleanup could have left under the first run's prefix
    const v1Champion = await championOf(v2 - 1);
    const v2Champion = await championOf(v2);
    expect(await h2o.modelIds()).toEqual(expect.arrayContaining([v1Champion, v2Champion]));
    const leftover = `${prefixOf(v1Champion)}__train_raw`;
    await h2o.postFile(leftover, Buffer.from('a,b\n1,2\n'));
    expect(await h2o.frameIds()).toContain(leftover);

    const next = await retrain(false);
    const out = (await next.result()) as RetrainModelOutput;
    expect(out).toMatchObject({ outcome: 'promoted', version: v2 + 1, production: v2 + 1 });
    expect(await stages()).toEqual([
      [v2 + 1, 'production'],
      [v2, 'archived'],
      [v2 - 1, 'archived'],
    ]);
    expect(await lastEventReason(v2)).toMatch(
      new RegExp(
        `abandoned: retrain ${terminated.workflowId} \\(run ${terminated.firstExecutionRunId}\\) ended TERMINATED`,
      ),
    );

    const models = await h2o.modelIds();
    const v3Champion = await championOf(v2 + 1);
    expect(models).toContain(v3Champion);
    expect(models).not.toContain(v1Champion);
    expect(models).not.toContain(v2Champion);
    const prefixes = [v1Champion, v2Champion, v3Champion].map(prefixOf);
    expect(models.filter((m) => prefixes.some((p) => m.startsWith(`${p}__`)))).toEqual([v3Champion]);
    expect((await h2o.frameIds()).filter((f) => prefixes.some((p) => f.startsWith(`${p}__`)))).toEqual([]);
  });
});
