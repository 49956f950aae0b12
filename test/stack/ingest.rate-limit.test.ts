/**
 * The rate limit of a source holds across concurrent activities and across workers: two workers on
 * one task queue, four pages in flight, 8 requests per second, and the source never sees two requests
 * closer together than the budget allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { startSyntheticSource, type SyntheticSource } from '../../src/demo/synthetic-source';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, runIngest, testSource } from '../helpers/ingest';
import { testPool } from '../helpers/postgres';
import { startTestWorker, uniqueName, type TestWorker } from '../helpers/temporal';
import { connectTemporal } from '../../src/client';

describe('shared rate limit', () => {
  let source: SyntheticSource;
  let workers: TestWorker[] = [];
  let client: Client;
  let closeClient: () => Promise<void>;
  let pool: Pool;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    source = await startSyntheticSource({ records: 1200, entityPrefix: `${uniqueName('c')}-` });
    const taskQueue = uniqueName('tq-rate');
    workers = [await startTestWorker({ taskQueue }), await startTestWorker({ taskQueue })];
    ({ client, close: closeClient } = await connectTemporal());
    pool = testPool();
  });

  afterAll(async () => {
    for (const w of written) await deleteIngested(pool, w.featureSet, w.source);
    for (const w of workers) await w.stop();
    await closeClient?.();
    await pool?.end();
    await source?.close();
  });

  it('requests are spaced by 1 / requestsPerSecond, whichever worker sends them', async () => {
    const times: number[] = [];
    source.setFaults(() => {
      times.push(Date.now());
      return undefined;
    });
    const definition = testSource(source, 'offset', {
      pageSize: 50,
      maxPagesInFlight: 4,
      rateLimit: { requestsPerSecond: 8, burst: 1 },
    });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    try {
      const out = await runIngest(client, workers[0]!.taskQueue, { source: definition.name, definition });
      expect(out.recordsWritten).toBe(1200);
      expect((await landed(pool, definition.mapping.featureSet)).rows).toBe(1200);
    } finally {
      source.setFaults(undefined);
    }
    times.sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(25);
    // GCRA with burst 1 books one request per 125 ms on Redis's clock. Delivery to the source adds a
    // little jitter, so the checks are the average spacing and a one-second window with one spare.
    const averageGap = (times[times.length - 1]! - times[0]!) / (times.length - 1);
    expect(averageGap).toBeGreaterThanOrEqual(120);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
  });
});
