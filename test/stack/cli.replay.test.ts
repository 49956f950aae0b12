/**
 * `replay` replays closed runs recorded by the real server against this checkout's workflow code: a
 * stackHealth run just executed replays (exit 0), and the same history against a bundle whose
 * stackHealth issues another first command is reported as not replayable (exit 1).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal } from '../../src/client';
import { loadConfig, projectRoot } from '../../src/config';
import { stackHealth } from '../../src/workflows/stack-health';
import { startTestWorker, uniqueName, type TestWorker } from '../helpers/temporal';

const run = promisify(execFile);

async function replay(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'src/cli/index.ts', 'replay', ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
  }
}

describe('replay', () => {
  let worker: TestWorker;
  let client: Client;
  let closeClient: () => Promise<void>;
  let workflowId: string;

  beforeAll(async () => {
    worker = await startTestWorker();
    ({ client, close: closeClient } = await connectTemporal());
    workflowId = uniqueName('replay-health');
    await client.workflow.execute(stackHealth, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ requestedBy: 'test' }],
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await closeClient?.();
  });

  it('replays the closed runs of a type against this code: every one deterministic, exit 0', async () => {
    const { code, out } = await replay(['--type', 'stackHealth', '--limit', '20']);
    expect(out).toMatch(/replayed (\d+) histories: \1 deterministic, 0 not/);
    expect(Number(/replayed (\d+)/.exec(out)?.[1])).toBeGreaterThanOrEqual(1);
    expect(code).toBe(0);
  });

  it('names a run whose history the code would not reproduce, exit 1', async () => {
    // a stackHealth whose first command is a timer, where the recorded run scheduled an activity
    const dir = join(loadConfig().stack.stateDir, 'test-output', 'replay');
    mkdirSync(dir, { recursive: true });
    const source = join(dir, 'changed-workflows.ts');
    writeFileSync(
      source,
      "import { sleep } from '@temporalio/workflow';\nexport async function stackHealth(): Promise<object> {\n  await sleep(1);\n  return {};\n}\n",
    );
    const bundlePath = join(dir, 'changed-workflows.js');
    const { code: bundle } = await bundleWorkflowCode({ workflowsPath: source });
    writeFileSync(bundlePath, bundle);

    const { code, out } = await replay(['--type', 'stackHealth', '--limit', '5'], {
      WORKER_WORKFLOW_BUNDLE: bundlePath,
    });
    expect(out).toMatch(/not replayable: \S+: .*[Nn]ondetermin/);
    expect(out).toMatch(/replayed \d+ histories: 0 deterministic, [1-9]\d* not/);
    expect(code).toBe(1);
  });

  it('refuses an unknown workflow type, naming it and the known ones', async () => {
    const { code, out } = await replay(['--type', 'stackHelth']);
    expect(out).toContain('replay --type="stackHelth" is invalid: one of stackHealth, trainModels');
    expect(code).toBe(1);
  });
});
