/**
 * The worker-thread pool for large batches (piscina: the established pool for Node worker threads,
 * with a task queue, transferable results and clean shutdown). A batch below SERVE_POOL_MIN_ROWS rows
 * and SERVE_POOL_MIN_CELLS cells is scored inline: posting to a thread costs more than scoring a few
 * narrow rows. The pool is bounded: at most SERVE_POOL_MAX_QUEUE batches wait for a thread (one more is
 * refused at once), and a batch that waits and scores longer than SERVE_POOL_TASK_TIMEOUT_MS is
 * aborted, which makes piscina terminate the thread running it (and start another).
 */
import Piscina from 'piscina';
import { threadEntry } from '../mojo/scorer-thread';
import type { ScoreResult, ScoreTask } from './score-worker';

export interface ScoringPoolOptions {
  threads: number;
  maxQueue: number;
  taskTimeoutMs: number;
}

export interface ScoringPool {
  /** Rejects with PoolRefusal when the queue is full or the batch timed out. */
  score(task: ScoreTask): Promise<ScoreResult>;
  close(): Promise<void>;
}

/** A batch the pool would not, or could not in time, score: the service answers 503 with Retry-After. */
export class PoolRefusal extends Error {
  constructor(
    readonly reason: 'queue' | 'timeout',
    /** the setting that bounds it */
    readonly field: 'SERVE_POOL_MAX_QUEUE' | 'SERVE_POOL_TASK_TIMEOUT_MS',
    readonly value: number,
    message: string,
  ) {
    super(message);
  }
}

/** Whether a batch is scored inline, by its cost: rows, and cells (rows times the model's features). */
export function scoresInline(
  rows: number,
  features: number,
  limits: { poolMinRows: number; poolMinCells: number },
): boolean {
  return rows < limits.poolMinRows && rows * features < limits.poolMinCells;
}

export function createScoringPool(options: ScoringPoolOptions): ScoringPool {
  const entry = threadEntry(__dirname, __filename, 'score-worker');
  const pool = new Piscina<ScoreTask, ScoreResult>({
    filename: entry.filename,
    ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: 60_000,
    // 'sync' (the default) blocks an idle thread's event loop, so it would never hear a release
    atomics: 'async',
  });
  // Counted here, not with piscina's maxQueue: piscina does not count tasks that carry an abort
  // signal against maxQueue (they wait in its skip queue), and every task here carries one.
  let pending = 0;
  const capacity = options.threads + options.maxQueue;
  return {
    async score(task) {
      if (pending >= capacity)
        throw new PoolRefusal(
          'queue',
          'SERVE_POOL_MAX_QUEUE',
          options.maxQueue,
          `the scoring pool is full (${options.threads} threads busy, ${options.maxQueue} batches waiting: SERVE_POOL_MAX_QUEUE); retry after 1 s`,
        );
      pending++;
      const signal = AbortSignal.timeout(options.taskTimeoutMs);
      try {
        return await pool.run(task, { signal });
      } catch (err) {
        if (signal.aborted)
          throw new PoolRefusal(
            'timeout',
            'SERVE_POOL_TASK_TIMEOUT_MS',
            options.taskTimeoutMs,
            `the batch was not scored within ${options.taskTimeoutMs} ms (SERVE_POOL_TASK_TIMEOUT_MS) and its thread was stopped; send fewer rows, or retry after 1 s`,
          );
        throw err;
      } finally {
        pending--;
      }
    },
    close: () => pool.destroy(),
  };
}
