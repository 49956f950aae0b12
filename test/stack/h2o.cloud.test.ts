/**
 * H2O as a multi-node cloud: a 2-node cloud on loopback (ports 54341/54343, beside the shared stack's
 * single node), started and stopped by the stack's own code path (H2O_NODES=2), owned by this test.
 * - only 1 of 2 nodes up: version-check and the stackHealth workflow refuse it, naming the missing node;
 * - both up: they report a locked cloud of 2;
 * - a node SIGKILLed while training jobs run: the retrain fails with H2OCloudLostError naming that node
 *   (no endless retries), the registry gains no version; after the cloud restarts, the next retrain
 *   succeeds (MOJO exported from the 2-node cloud) with exactly one new version;
 * - then the node H2O_URL names SIGKILLed while training: the other node answers for the cloud, and
 *   the retrain fails with H2OCloudLostError naming H2O_URL's node.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { temporal } from '@temporalio/proto';
import { startRetrain } from '../../src/client';
import { EXIT_MISMATCH, EXIT_OK, versionCheck } from '../../src/cli/version-check';
import { loadConfig } from '../../src/config';
import { H2OClient } from '../../src/h2o/client';
import { listVersions } from '../../src/registry';
import { retrainTrainingWorkflowId } from '../../src/shared/ids';
import { progressQuery } from '../../src/shared/messages/train-models';
import type { StackContext } from '../../src/stack/component';
import { h2oComponent, h2oNodes } from '../../src/stack/h2o';
import { daemonPid, stackPaths } from '../../src/stack/process';
import type { RetrainModelOutput } from '../../src/shared/contracts/retrain-model';
import { stackHealth } from '../../src/workflows/stack-health';
import { useChurnSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const stateDir = mkdtempSync(join(tmpdir(), 'mlops-h2o-cloud-'));
// the test's cloud: its own state dir (pid files, flatfile, logs); heap 2g × 70% split over 2 nodes ≈ 716 MiB each
const cloudEnv = {
  ...process.env,
  H2O_URL: 'http://127.0.0.1:54341',
  H2O_NODES: '2',
  H2O_MEMORY: '2g',
  H2O_NTHREADS: '1',
  MLOPS_STATE_DIR: stateDir,
};
const cloudConfig = loadConfig(cloudEnv);
const cloudCtx: StackContext = { config: cloudConfig, paths: stackPaths(stateDir), log: () => {} };
// the same ports with H2O_NODES=1: how the test brings up only the first node of the two
const firstNodeCtx: StackContext = {
  config: loadConfig({ ...cloudEnv, H2O_NODES: '1', H2O_MEMORY: '1g' }),
  paths: cloudCtx.paths,
  log: () => {},
};
// the worker trains on the test's cloud; everything else is the shared stack
const suite = useStackSuite({
  workerConfig: () => loadConfig({ ...process.env, H2O_URL: cloudConfig.h2o.url, H2O_NODES: '2' }),
});
const h2o = new H2OClient(cloudConfig.h2o.url);
const [first, second] = h2oNodes(cloudCtx);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const set = useChurnSet(() => suite.pool, uniqueName('fs-cloud'), 3000);

afterAll(async () => {
  // always: the test's cloud goes away; the shared stack's H2O was never touched
  await h2oComponent.down(cloudCtx);
  rmSync(stateDir, { recursive: true, force: true });
});

function retrain(model: string, specs: Array<{ name: string; parameters: Record<string, number> }>) {
  return startRetrain(
    suite.client,
    {
      model,
      reason: 'manual: h2o cloud test',
      ingestSource: false,
      window: set.window,
      training: {
        featureSet: set.featureSet,
        target: set.target,
        metric: 'auc',
        seed: 5,
        maxParallel: 2,
        specs: specs.map((s) => ({ ...s, algorithm: 'gbm' as const })),
      },
    },
    { taskQueue: suite.worker.taskQueue },
  );
}

/** The retrain's training run, once both its specs' H2O jobs are RUNNING. */
async function twoJobsTraining(handle: Awaited<ReturnType<typeof retrain>>) {
  const train = suite.client.workflow.getHandle(
    retrainTrainingWorkflowId(handle.workflowId, handle.firstExecutionRunId),
  );
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('the specs never started training');
    const progress = await train.query(progressQuery).catch(() => undefined);
    const jobs = progress?.specs.filter((s) => s.state === 'training' && s.jobKey) ?? [];
    if (jobs.length === 2) {
      for (const s of jobs) expect((await h2o.job(s.jobKey!)).status).toBe('RUNNING');
      return train;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

function failureOf(events: HistoryEvent[]) {
  return events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
}

describe('H2O as a 2-node cloud', () => {
  it('refuses a cloud with only 1 of its 2 nodes up, naming the missing node', async () => {
    expect(second!.address).toBe('127.0.0.1:54343');
    await h2oComponent.up(firstNodeCtx);
    const summary = await versionCheck(cloudConfig);
    expect(summary.exitCode).toBe(EXIT_MISMATCH);
    const cloud = summary.checks.find((c) => c.component === 'h2o-cloud')!;
    expect(cloud).toMatchObject({ verdict: 'forming', ok: false, actual: '1', expected: '2' });
    expect(cloud.message).toContain('1 of 2 nodes');
    expect(cloud.message).toContain('missing 127.0.0.1:54343');
    // the lone node was not locked: the second one can still join
    expect((await h2o.cloud()).locked).toBe(false);

    const workflowId = uniqueName('health-incomplete');
    await expect(
      suite.client.workflow.execute(stackHealth, {
        taskQueue: suite.worker.taskQueue,
        workflowId,
        args: [{ requestedBy: 'h2o.cloud test' }],
      }),
    ).rejects.toThrow();
    const history = await suite.client.workflow.getHandle(workflowId).fetchHistory();
    const failed = history.events!.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes
      ?.failure;
    expect(failed?.applicationFailureInfo?.type).toBe('H2OCloudIncompleteError');
    expect(failed?.message).toContain('missing 127.0.0.1:54343');
    await h2oComponent.down(firstNodeCtx);
  });

  it('starts both nodes through the stack, and version-check, stack health and status report a locked cloud of 2', async () => {
    await h2oComponent.up(cloudCtx);
    const cloud = await h2o.cloud();
    expect(cloud).toMatchObject({ cloud_size: 2, locked: true, consensus: true, cloud_healthy: true });
    expect(cloud.nodes.map((n) => n.ip_port).sort()).toEqual(['127.0.0.1:54341', '127.0.0.1:54343']);
    // each node got half the heap: 2g × 70% / 2 = 716 MiB (the JVM reports a little less than -Xmx)
    for (const n of cloud.nodes) expect(n.max_mem).toBeLessThanOrEqual(716 * 1024 * 1024);

    const summary = await versionCheck(cloudConfig);
    expect(summary.checks.find((c) => c.component === 'h2o-cloud')).toMatchObject({
      verdict: 'ok',
      ok: true,
      actual: '2',
      expected: '2',
    });
    expect(summary.exitCode).toBe(EXIT_OK);

    const health = await suite.client.workflow.execute(stackHealth, {
      taskQueue: suite.worker.taskQueue,
      workflowId: uniqueName('health-cloud'),
      args: [{ requestedBy: 'h2o.cloud test' }],
    });
    expect(health.h2oCloud).toMatchObject({ size: 2, expected: 2, locked: true });
    expect(health.h2oCloud.nodes.sort()).toEqual(['127.0.0.1:54341', '127.0.0.1:54343']);

    const status = await h2oComponent.status(cloudCtx);
    expect(status.state).toBe('running');
    expect(status.detail).toContain('2 of 2 node processes');
  });

  it('a node killed mid-training fails the retrain with H2OCloudLostError naming it; after a restart the next retrain registers one version', async () => {
    const model = uniqueName('cloud').replace(/-/g, '_');
    // long enough to still run when H2O notices the dead node (it waits for missed heartbeats, about a minute)
    const long = { ntrees: 100000, max_depth: 4, max_runtime_secs: 240 };
    const handle = await retrain(model, [
      { name: 'gbm_a', parameters: long },
      { name: 'gbm_b', parameters: { ...long, learn_rate: 0.05 } },
    ]);
    const train = await twoJobsTraining(handle);

    const pid = daemonPid(second!.name, cloudCtx.paths)!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');

    await expect(handle.result()).rejects.toThrow();
    // the training run failed with the cloud loss, naming the dead node, and did not retry it
    const trainEvents = (await train.fetchHistory()).events!;
    const failure = failureOf(trainEvents);
    expect(failure?.applicationFailureInfo?.type).toBe('H2OCloudLostError');
    expect(failure?.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(failure?.message).toContain('127.0.0.1:54343');
    expect(failure?.message).not.toContain('127.0.0.1:54341');
    const awaits = trainEvents
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainSpecOnSlot')
      .map((e) => e.eventId!.toString());
    expect(awaits).toHaveLength(2);
    const started = trainEvents.filter(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        awaits.includes(e.activityTaskStartedEventAttributes.scheduledEventId!.toString()),
    );
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1, 1]);
    // no rebuild either: a cloud that lost a node cannot train again until it is restarted
    expect(
      trainEvents.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'extractTrainingSet'),
    ).toHaveLength(1);
    // the retrain itself failed with it (the child's failure is its cause)
    const retrainFailure = failureOf((await handle.fetchHistory()).events!);
    expect(
      retrainFailure?.cause?.cause?.applicationFailureInfo?.type ?? retrainFailure?.cause?.applicationFailureInfo?.type,
    ).toBe('H2OCloudLostError');
    expect(await listVersions(suite.pool, model)).toEqual([]);

    // the checks name the lost node too, until the cloud is restarted
    const lost = (await versionCheck(cloudConfig)).checks.find((c) => c.component === 'h2o-cloud')!;
    expect(lost).toMatchObject({ verdict: 'lost', ok: false });
    expect(lost.message).toContain('127.0.0.1:54343');
    expect((await h2oComponent.status(cloudCtx)).state).toBe('unhealthy');

    // restart: `up` finds 1 of 2 nodes and restarts the whole cloud (clouds do not heal)
    const firstPid = daemonPid(first!.name, cloudCtx.paths);
    await h2oComponent.up(cloudCtx);
    expect(daemonPid(first!.name, cloudCtx.paths)).not.toBe(firstPid);
    expect(await h2o.cloud()).toMatchObject({ cloud_size: 2, locked: true, cloud_healthy: true });

    const again = await retrain(model, [
      { name: 'gbm_a', parameters: { ntrees: 20, max_depth: 3 } },
      { name: 'gbm_b', parameters: { ntrees: 30, max_depth: 3, learn_rate: 0.05 } },
    ]);
    const out = (await again.result()) as RetrainModelOutput;
    expect(out).toMatchObject({ model, version: 1, outcome: 'promoted', production: 1 });
    const versions = await listVersions(suite.pool, model);
    expect(versions.map((v) => [v.version, v.stage])).toEqual([[1, 'production']]);
    // the MOJO was exported from the 2-node cloud and passed the servable check
    expect(versions[0]!.servable).toBe(true);
  });

  it('the node H2O_URL names killed mid-training: the other node answers, and the retrain fails with H2OCloudLostError naming it', async () => {
    const model = uniqueName('cloud').replace(/-/g, '_');
    const long = { ntrees: 100000, max_depth: 4, max_runtime_secs: 240 };
    const handle = await retrain(model, [
      { name: 'gbm_a', parameters: long },
      { name: 'gbm_b', parameters: { ...long, learn_rate: 0.05 } },
    ]);
    const train = await twoJobsTraining(handle);
    process.kill(daemonPid(first!.name, cloudCtx.paths)!, 'SIGKILL');

    await expect(handle.result()).rejects.toThrow();
    const failure = failureOf((await train.fetchHistory()).events!);
    expect(failure?.applicationFailureInfo?.type).toBe('H2OCloudLostError');
    expect(failure?.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(failure?.message).toContain(
      "H2O_URL's node 127.0.0.1:54341 refuses connections while 127.0.0.1:54343 answers",
    );
    expect(await listVersions(suite.pool, model)).toEqual([]);
    const lost = (await versionCheck(cloudConfig)).checks.find((c) => c.component === 'h2o-cloud')!;
    expect(lost).toMatchObject({ verdict: 'lost', ok: false });
    expect(lost.message).toContain('127.0.0.1:54341');
  });
});
