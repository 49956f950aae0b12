/**
 * An unreachable H2O cluster: the run retries the cluster check with backoff, then fails with a
 * non-retryable H2OUnreachableError that says nothing was trained. (The worker runs in a child
 * process whose H2O_URL points at a closed port.)
 */
import type { ChildProcess } from 'node:child_process';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { FailureType } from '../../src/shared/errors';
import { trainModels } from '../../src/workflows/train-models';
import { killWorkerProcess, spawnWorkerProcess, uniqueName } from '../helpers/temporal';
import { connectTemporal } from '../../src/client';

describe('trainModels with an unreachable H2O cluster', () => {
  let child: ChildProcess | undefined;
  let close: (() => Promise<void>) | undefined;

  afterAll(async () => {
    if (child) await killWorkerProcess(child);
    await close?.();
  });

  it('retries with backoff, then fails clearly without training anything', async () => {
    const taskQueue = uniqueName('tq-down');
    child = await spawnWorkerProcess(taskQueue, { H2O_URL: 'http://127.0.0.1:9' });
    const conn = await connectTemporal();
    close = conn.close;
    const client: Client = conn.client;
    const workflowId = uniqueName('train-down');
    const err = await client.workflow
      .execute(trainModels, {
        taskQueue,
        workflowId,
        args: [
          {
            model: 'churn_down',
            featureSet: 'none',
            target: 'y',
            window: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' },
            metric: 'auc',
            specs: [{ name: 'gbm', algorithm: 'gbm' }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe(FailureType.H2OUnreachable);
    expect(cause.message).toContain('nothing was trained');
    expect(cause.message).toContain('127.0.0.1:9');

    // It was retried (with backoff) before giving up, and never got past the check.
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const names = history
      .events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(names).toEqual(['checkTrainingCluster']);
    const failed = history.events!.find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.retryState).toBe(4 /* RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED */);
    const started = history.events!.find((e) => e.activityTaskStartedEventAttributes);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(6);
  });
});
