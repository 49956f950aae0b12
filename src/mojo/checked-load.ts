/**
 * A MOJO loaded and checked off the event loop first: loadMojo and the golden rows run in a fresh
 * worker thread with a bounded heap (MOJO_LOAD_MAX_HEAP_MB) and a wall-clock limit
 * (MOJO_LOAD_TIMEOUT_MS), so a file that makes the scorer allocate without bound or loop costs that
 * thread, never the process. Only after the thread said yes does the caller's thread load it itself.
 *
 * The heap limit bounds JavaScript that allocates, not Buffers or native parsers (bounded-thread.ts),
 * which is why the scorer bounds the zip's entry sizes itself and the golden rows are bounded here.
 */
import { open } from 'node:fs/promises';
import type { MojoLoadConfig } from '../config';
import { MojoError } from '../shared/errors';
import { runInBoundedThread, ThreadLimitError } from './bounded-thread';
import { goldenPathOf } from './golden';
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

/**
 * The largest golden rows file a load reads: the platform writes 8 rows (src/h2o/golden-rows.ts), a few
 * KiB for most models. Bounded before the thread parses it, since JSON.parse is native and can overrun
 * the thread's heap limit (bounded-thread.ts).
 */
export const GOLDEN_MAX_BYTES = 4 * 1024 * 1024;

/** The refusal of golden rows of `bytes` bytes, when they are more than GOLDEN_MAX_BYTES. */
function goldenOversize(name: string, bytes: number): MojoError | undefined {
  return bytes > GOLDEN_MAX_BYTES
    ? new MojoError(
        name,
        'golden rows',
        `the file is ${bytes} bytes, more than golden rows take (at most ${GOLDEN_MAX_BYTES})`,
      )
    : undefined;
}

/**
 * The golden rows file beside `artifactPath` as text, or undefined when the version has none. One over
 * GOLDEN_MAX_BYTES is refused by its size, before it is read; any other failure to read it is thrown as
 * it came.
 */
export async function readGoldenText(artifactPath: string, name: string): Promise<string | undefined> {
  const file = await open(goldenPathOf(artifactPath), 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!file) return undefined;
  try {
    const oversize = goldenOversize(name, (await file.stat()).size);
    if (oversize) throw oversize;
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
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
  const oversize = goldenText === undefined ? undefined : goldenOversize(name, Buffer.byteLength(goldenText));
  if (oversize) throw oversize;
  const input: CheckInput = { bytes, name, ...(goldenText === undefined ? {} : { goldenText }) };
  const answer = await runInBoundedThread<CheckInput, CheckAnswer>(
    threadEntry(__dirname, __filename, 'checked-load-thread'),
    input,
    limits,
  ).catch((err: unknown) => {
    if (!(err instanceof ThreadLimitError)) throw new Error(`the thread checking MOJO ${name} failed: ${String(err)}`);
    throw err.limit === 'memory'
      ? new MojoError(
          name,
          'memory',
          `loading it needs more than ${limits.maxHeapMb} MiB of heap (MOJO_LOAD_MAX_HEAP_MB); the thread was stopped`,
        )
      : new MojoError(
          name,
          'load time',
          `loading and checking it took longer than ${limits.timeoutMs} ms (MOJO_LOAD_TIMEOUT_MS); the thread was stopped`,
        );
  });
  if (!answer.ok) throw new MojoError(name, answer.setting, answer.reason);
  return answer.summary;
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
