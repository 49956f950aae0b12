/**
 * One task in a fresh worker thread with a bounded heap and a wall-clock limit: a task that allocates
 * without bound or loops costs that thread, not the process. The thread posts one message, its answer.
 *
 * The heap limit (`resourceLimits.maxOldGenerationSizeMb`) stops JavaScript that allocates; it is not
 * a wall around native builtins that allocate in one call (a `JSON.parse` of a huge text runs to its
 * end past the limit and can take the process down with it), nor around Buffers and typed arrays,
 * which live outside the heap. Callers bound those inputs before the thread sees them.
 *
 * At most BOUNDED_THREADS run at once in a process, so many tasks cannot add up their heaps.
 */
import { Worker } from 'node:worker_threads';
import type { ThreadEntry } from './scorer-thread';

export interface ThreadLimits {
  maxHeapMb: number;
  timeoutMs: number;
}

/** The thread hit a limit and was stopped: `limit` says which. */
export class ThreadLimitError extends Error {
  constructor(
    readonly limit: 'memory' | 'time',
    readonly limits: ThreadLimits,
  ) {
    super(
      limit === 'memory'
        ? `the thread needed more than ${limits.maxHeapMb} MiB of heap and was stopped`
        : `the thread took longer than ${limits.timeoutMs} ms and was stopped`,
    );
    this.name = 'ThreadLimitError';
  }
}

/** bounded threads running at once, per process */
export const BOUNDED_THREADS = 2;
let running = 0;
const waiting: (() => void)[] = [];

function acquire(): Promise<void> {
  if (running < BOUNDED_THREADS) {
    running++;
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
}

/** Hands the slot to the next waiter, or frees it. */
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/**
 * Runs `entry` with `input` as its workerData and resolves with the message it posts. Rejects with a
 * ThreadLimitError when it ran out of heap or time, or with a plain Error when it could not start or
 * exited without answering.
 */
export async function runInBoundedThread<Input, Answer>(
  entry: ThreadEntry,
  input: Input,
  limits: ThreadLimits,
): Promise<Answer> {
  await acquire();
  let worker: Worker;
  try {
    worker = new Worker(entry.filename, {
      workerData: input,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    });
  } catch (err) {
    release();
    throw err;
  }
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    let answer: Answer | undefined;
    let failure: Error | undefined;
    const timer = setTimeout(() => {
      failure = new ThreadLimitError('time', limits);
      void worker.terminate();
    }, limits.timeoutMs);
    worker.once('message', (m: Answer) => {
      answered = true;
      answer = m;
    });
    worker.once('error', (err: NodeJS.ErrnoException) => {
      failure ??= err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new ThreadLimitError('memory', limits) : err;
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      release();
      if (answered) resolve(answer as Answer);
      else reject(failure ?? new Error(`the thread ${entry.filename} exited with code ${code} without an answer`));
    });
  });
}
