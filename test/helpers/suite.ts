/**
 * One real-stack test suite: a worker on a fresh task queue, a Temporal client and a pg pool, opened
 * in beforeAll and closed in afterAll. Call it first in a describe block: vitest runs a file's own
 * beforeAll hooks after it (so they can use the pool) and its afterAll hooks before it (so cleanups
 * still can).
 */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config';
import { testPool } from './postgres';
import { startTestWorker, type TestWorker } from './temporal';
import { connectTemporal } from '../../src/client';

export interface StackSuite {
  readonly pool: Pool;
  readonly client: Client;
  readonly worker: TestWorker;
}

export function useStackSuite(options: { workerConfig?: () => Config } = {}): StackSuite {
  let pool: Pool | undefined;
  let client: Client | undefined;
  let worker: TestWorker | undefined;
  let closeClient: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    pool = testPool();
    worker = await startTestWorker({ config: options.workerConfig?.() });
    ({ client, close: closeClient } = await connectTemporal());
  });
  afterAll(async () => {
    await worker?.stop();
    await closeClient?.();
    await pool?.end();
  });

  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`the suite's ${name} is used before its beforeAll ran`);
    return value;
  };
  return {
    get pool() {
      return ready(pool, 'pool');
    },
    get client() {
      return ready(client, 'client');
    },
    get worker() {
      return ready(worker, 'worker');
    },
  };
}
