/**
 * runInBoundedThread (src/mojo/bounded-thread.ts), the wall every MOJO load is checked behind: a task
 * that allocates without bound or never returns costs its thread, and the process goes on, also when
 * the process's own heap is smaller than what the task tried to take.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rejection } from '../helpers/refusals';
import { runInBoundedThread, ThreadLimitError } from '../../src/mojo/bounded-thread';
import type { ThreadEntry } from '../../src/mojo/scorer-thread';

const entry: ThreadEntry = {
  filename: join(__dirname, '../helpers/limit-thread.ts'),
  execArgv: ['--require', require.resolve('tsx/cjs')],
};

describe('runInBoundedThread', () => {
  it('a task that allocates without bound is stopped at the heap limit', async () => {
    const err = await rejection(runInBoundedThread(entry, { kind: 'allocate' }, { maxHeapMb: 32, timeoutMs: 120_000 }));
    expect(err).toBeInstanceOf(ThreadLimitError);
    expect((err as ThreadLimitError).limit).toBe('memory');
    expect((err as Error).message).toBe('the thread needed more than 32 MiB of heap and was stopped');
    // and the next task runs
    await expect(
      runInBoundedThread(entry, { kind: 'echo', value: 7 }, { maxHeapMb: 32, timeoutMs: 120_000 }),
    ).resolves.toBe(7);
  });

  it('a task that never returns is stopped at the time limit', async () => {
    const err = await rejection(runInBoundedThread(entry, { kind: 'spin' }, { maxHeapMb: 32, timeoutMs: 500 }));
    expect(err).toBeInstanceOf(ThreadLimitError);
    expect((err as ThreadLimitError).limit).toBe('time');
  });

  it('the process lives through a thread that tried to take more heap than the process has', async () => {
    const script = `
      const { runInBoundedThread } = require(${JSON.stringify(join(__dirname, '../../src/mojo/bounded-thread.ts'))});
      const entry = ${JSON.stringify(entry)};
      runInBoundedThread(entry, { kind: 'allocate' }, { maxHeapMb: 64, timeoutMs: 120000 })
        .catch((err) => ({ refused: err.limit }))
        .then(async (first) => {
          const next = await runInBoundedThread(entry, { kind: 'echo', value: 'after' }, { maxHeapMb: 64, timeoutMs: 120000 });
          console.log(JSON.stringify({ first, next }));
        });`;
    // The allocating thread alone would take the process past its own 48 MiB heap.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--max-old-space-size=48', '--require', require.resolve('tsx/cjs'), '-e', script],
      { timeout: 120_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({ first: { refused: 'memory' }, next: 'after' });
  });
});
