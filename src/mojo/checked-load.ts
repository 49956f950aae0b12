/**
 * A MOJO loaded and checked off the event loop first: loadMojo and the golden rows run in a fresh
 * worker thread with a bounded heap (MOJO_LOAD_MAX_HEAP_MB) and a wall-clock limit
 * (MOJO_LOAD_TIMEOUT_MS), so a file that makes the scorer allocate without bound or loop costs that
 * thread, never the process. Only after the thread said yes does the caller's thread load it itself.
 * At most CONCURRENT_CHECKS threads run at once in a process, so many loads cannot add up their heaps.
 *
 * The heap limit bounds JavaScript objects; Buffers and typed arrays live outside it, which is why the
 * scorer bounds those itself (the zip's entry sizes).
 */
import { Worker } from 'node:worker_threads';
import type { MojoLoadConfig } from '../config';
import { MojoError } from '../shared/errors';
import { loadMojo } from './load';
import { threadEntry } from './scorer-thread';
import type { MojoAlgorithm, MojoCategory, MojoModel } from './types';

/** What the thread found, as plain data. */
export interface MojoSummary {
  algorithm: MojoAlgorithm;
  category: MojoCategory;
  mojoVersion: string;
  h2oVersion: string;
  family: string | null;
  features: string[];
  classes: string[] | null;
  /** golden rows reproduced (0 when none were given) */
  goldenRows: number;
}

/** The thread's input (checked-load-thread.ts). */
export interface CheckInput {
  bytes: Uint8Array;
  name: string;
  /** the golden rows file's text, when the MOJO has one */
  goldenText?: string;
}

/** The thread's answer: the summary, or the refusal's setting and reason (a MojoError's parts). */
export type CheckAnswer = { ok: true; summary: MojoSummary } | { ok: false; setting: string; reason: string };

/** threads checking MOJOs at once, per process */
export const CONCURRENT_CHECKS = 2;
let running = 0;
const waiting: (() => void)[] = [];

function acquire(): Promise<void> {
  if (running < CONCURRENT_CHECKS) {
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
 * Loads `bytes` (and checks `goldenText`'s rows) in a thread of its own. Resolves with the summary;
 * rejects with a MojoError naming `name` and the setting when the file is refused, including a thread
 * that ran out of heap (setting `memory`) or time (`load time`). Any other rejection (the thread could
 * not start) says nothing about the file.
 */
export async function checkMojoInThread(
  bytes: Buffer,
  name: string,
  limits: MojoLoadConfig,
  goldenText?: string,
): Promise<MojoSummary> {
  await acquire();
  const entry = threadEntry(__dirname, __filename, 'checked-load-thread');
  let worker: Worker;
  try {
    const input: CheckInput = { bytes, name, ...(goldenText === undefined ? {} : { goldenText }) };
    worker = new Worker(entry.filename, {
      workerData: input,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    });
  } catch (err) {
    release();
    throw err;
  }
  return new Promise<MojoSummary>((resolve, reject) => {
    let answer: CheckAnswer | undefined;
    let failure: Error | undefined;
    const timer = setTimeout(() => {
      failure = new MojoError(
        name,
        'load time',
        `loading and checking it took longer than ${limits.timeoutMs} ms (MOJO_LOAD_TIMEOUT_MS); the thread was stopped`,
      );
      void worker.terminate();
    }, limits.timeoutMs);
    worker.once('message', (m: CheckAnswer) => (answer = m));
    worker.once('error', (err: NodeJS.ErrnoException) => {
      failure ??=
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new MojoError(
              name,
              'memory',
              `loading it needs more than ${limits.maxHeapMb} MiB of heap (MOJO_LOAD_MAX_HEAP_MB); the thread was stopped`,
            )
          : new Error(`the thread checking MOJO ${name} failed: ${err.message}`);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      release();
      if (answer?.ok) resolve(answer.summary);
      else if (answer) reject(new MojoError(name, answer.setting, answer.reason));
      else reject(failure ?? new Error(`the thread checking MOJO ${name} exited with code ${code} without an answer`));
    });
  });
}

/** Checks the MOJO in a thread (checkMojoInThread), then loads it here: a model this thread can score. */
export async function loadMojoChecked(
  bytes: Buffer,
  name: string,
  limits: MojoLoadConfig,
  goldenText?: string,
): Promise<{ model: MojoModel; summary: MojoSummary }> {
  const summary = await checkMojoInThread(bytes, name, limits, goldenText);
  return { model: loadMojo(bytes, name), summary };
}
