/**
 * Test helpers for Temporal: workers on a fresh task queue per test (in this process, or as a child
 * process that a test can SIGKILL). Clients come from the platform's own connectTemporal (src/client.ts).
 */
import { temporal } from '@temporalio/proto';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig, projectRoot, type Config } from '../../src/config';
import { connectClientConnection, connectNativeConnection } from '../../src/temporal-connection';
import { createWorker } from '../../src/worker';
import { testBundlePath } from './paths';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    /* already installed by another helper in this process */
  }
}

/** A short unique name for task queues, workflow ids, feature sets and sources. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TestWorker {
  taskQueue: string;
  /** workflows in the worker's cache (a fleet's finished runs must not stay there) */
  cachedWorkflows(): number;
  /** shuts the worker down and waits for it */
  stop(): Promise<void>;
}

/** The training task queue of a test's task queue: each test's H2O jobs wait for its own worker's slots. */
export function trainingQueueOf(taskQueue: string): string {
  return `${taskQueue}-training`;
}

/**
 * Runs a worker in this process on a fresh task queue (or `taskQueue`) until stop(), with its training
 * slots on trainingQueueOf(taskQueue) (TRAINING_SLOTS of the config).
 */
export async function startTestWorker(options: { taskQueue?: string; config?: Config } = {}): Promise<TestWorker> {
  quietRuntime();
  const taskQueue = options.taskQueue ?? uniqueName('tq');
  const base = options.config ?? loadConfig();
  const config: Config = { ...base, training: { ...base.training, taskQueue: trainingQueueOf(taskQueue) } };
  const connection = await connectNativeConnection(config.temporal);
  const handle = await createWorker({ config, taskQueue, connection, workflowBundlePath: testBundlePath() });
  const running = handle.run();
  return {
    taskQueue,
    cachedWorkflows: () => handle.worker.getStatus().numCachedWorkflows,
    async stop() {
      handle.shutdown();
      await running.catch(() => {});
      await handle.close();
      await connection.close();
    },
  };
}

/** A worker in a child process (tsx src/worker.ts), so a test can SIGKILL it mid-activity. */
export async function spawnWorkerProcess(taskQueue: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'worker.ts')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      ...env,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TRAINING_TASK_QUEUE: trainingQueueOf(taskQueue),
      WORKER_WORKFLOW_BUNDLE: testBundlePath(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start within 60s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('polling task queue')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before polling:\n${output}`));
    });
  });
  await untilPolled(taskQueue);
  return child;
}

/**
 * Resolves once the server has seen a workflow-task poll on `taskQueue`: the worker prints its
 * "polling" line just before its first poll reaches the server, and a test that asks the server
 * about the queue at once can come too early.
 */
async function untilPolled(taskQueue: string, timeoutMs = 30_000): Promise<void> {
  const config = loadConfig();
  const connection = await connectClientConnection(config.temporal, { connectTimeoutMs: 5000 });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      if (pollers?.length) return;
      if (Date.now() > deadline)
        throw new Error(`no poller reached the server on task queue ${taskQueue} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await connection.close();
  }
}

/** SIGKILLs a worker process and waits until it is gone. */
export async function killWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
