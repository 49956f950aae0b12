/**
 * A thread for runInBoundedThread's tests (src/mojo/bounded-thread.ts), doing what workerData says:
 * `allocate` keeps every array it makes until the heap limit stops it, `spin` never returns, `echo`
 * answers with what it was given.
 */
import { parentPort, workerData } from 'node:worker_threads';

const task = workerData as { kind: 'allocate' | 'spin' | 'echo'; value?: unknown };
if (task.kind === 'allocate') {
  const kept: number[][] = [];
  for (;;) kept.push(Array.from({ length: 1024 }, (_, i) => i + kept.length));
} else if (task.kind === 'spin') {
  for (;;);
} else {
  parentPort!.postMessage(task.value);
}
