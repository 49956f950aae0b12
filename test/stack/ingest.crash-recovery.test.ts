/**
 * Crashes mid-run lose nothing and duplicate nothing:
 * - the worker process is SIGKILLed while pages are in flight and a new worker takes over;
 * - PostgreSQL is stopped and started again while pages are being written.
 * Each run then has exactly one row per source record and counts that reconcile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSyntheticSource, type SyntheticSource, type SyntheticStyle } from '../../src/demo/synthetic-source';
import { startPostgres, stopPostgres } from '../../src/stack/postgres';
import { stackContext } from '../../src/stack/cli';
import type { IngestProgress } from '../../src/shared/messages/ingest-source';
import { ingestSource } from '../../src/workflows/ingest-source';
import type { IngestSourceOutput } from '../../src/shared/contracts/ingest-source';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, testSource } from '../helpers/ingest';
import { testPool } from '../helpers/postgres';
import { killWorkerProcess, spawnWorkerProcess, startTestWorker, uniqueName } from '../helpers/temporal';
import { connectTemporal } from '../../src/client';

const RECORDS = 3000;

describe('ingestSource survives crashes', () => {
  let source: SyntheticSource;
  let client: Client;
  let closeClient: () => Promise<void>;
  let pool: Pool;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    // every page takes 150 ms to answer, so a run lasts long enough to be interrupted
    source = await startSyntheticSource({
      records: RECORDS,
      entityPrefix: `${uniqueName('c')}-`,
      invalidEvery: 100,
      faults: () => ({ kind: 'delay', ms: 150 }),
    });
    ({ client, close: closeClient } = await connectTemporal());
    pool = testPool();
  });

  afterAll(async () => {
    for (const w of written) await deleteIngested(pool, w.featureSet, w.source).catch(() => {});
    await closeClient?.();
    await pool?.end();
    await source?.close();
  });

  async function waitForPages(handle: WorkflowHandle, pages: number): Promise<IngestProgress> {
    for (;;) {
      const progress = await handle.query<IngestProgress>('progress');
      if (progress.pages >= pages) return progress;
      await sleep(100);
    }
  }

  async function expectExactlyOnce(out: IngestSourceOutput, featureSet: string): Promise<void> {
    const invalid = RECORDS / 100;
    expect(out).toMatchObject({
      recordsSeen: RECORDS,
      recordsWritten: RECORDS - invalid,
      deadLetters: invalid,
      reconciled: true,
    });
    const rows = await landed(pool, featureSet);
    expect(rows.rows).toBe(RECORDS - invalid);
    expect(rows.distinctKeys).toBe(RECORDS - invalid);
    const { rows: letters } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM features.dead_letters WHERE source = $1',
      [out.source],
    );
    expect(letters[0]!.n).toBe(invalid);
  }

  it.each<SyntheticStyle>(['offset', 'cursor'])(
    '%s: worker SIGKILLed mid-run, a new worker finishes it',
    async (style) => {
      const taskQueue = uniqueName('tq-kill');
      const definition = testSource(source, style, {
        pageSize: 100,
        maxPagesInFlight: 3,
        pagesPerActivity: style === 'cursor' ? 10 : 1,
      });
      written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
      let child: ChildProcess | undefined = await spawnWorkerProcess(taskQueue);
      try {
        const handle = await client.workflow.start(ingestSource, {
          taskQueue,
          workflowId: uniqueName('ingest-kill'),
          args: [{ source: definition.name, definition, indexClosedPartitions: false }],
        });
        const before = await waitForPages(handle, 6);
        expect(before.done).toBe(false);
        await killWorkerProcess(child);
        child = await spawnWorkerProcess(taskQueue);
        const out = await handle.result();
        await expectExactlyOnce(out, definition.mapping.featureSet);
      } finally {
        if (child) await killWorkerProcess(child);
      }
    },
  );

  it('PostgreSQL restarted mid-run', async () => {
    const worker = await startTestWorker();
    const ctx = stackContext(() => {});
    const definition = testSource(source, 'offset', { pageSize: 100, maxPagesInFlight: 3 });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    try {
      const handle = await client.workflow.start(ingestSource, {
        taskQueue: worker.taskQueue,
        workflowId: uniqueName('ingest-pg'),
        args: [{ source: definition.name, definition, indexClosedPartitions: false }],
      });
      await waitForPages(handle, 5);
      try {
        await stopPostgres(ctx);
        await sleep(2000); // pages fail to write meanwhile; their activities retry
      } finally {
        await startPostgres(ctx);
      }
      const out = await handle.result();
      await expectExactlyOnce(out, definition.mapping.featureSet);
    } finally {
      await worker.stop();
    }
  });
});
