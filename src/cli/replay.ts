/**
 * `replay [--type <workflow type>] [--limit N]`: replays the newest closed runs of each workflow type
 * against the workflow code this checkout (or WORKER_WORKFLOW_BUNDLE) would run, the check Temporal
 * asks for before a deploy: code that would issue other commands than a recorded run did is
 * nondeterministic, and a worker running it would fail that run's next workflow task. Exit 0 when every
 * history replays, 1 when any does not (each named with the SDK's reason).
 */
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { connectTemporal } from '../client';
import { config } from '../config';
import { WORKFLOW_TYPES } from '../shared/contracts';
import { ValidationError } from '../shared/errors';
import { workflowOptions } from '../worker';

/** A recorded run as the replayer takes it. */
interface RecordedRun {
  workflowId: string;
  history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
}

interface ReplayArgs {
  types: readonly string[];
  limit: number;
}

function parseArgs(args: string[]): ReplayArgs {
  const parsed: ReplayArgs = { types: WORKFLOW_TYPES, limit: 50 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i]!, args[i + 1]];
    if (value === undefined) throw new ValidationError(`replay ${flag}`, '', 'a value');
    if (flag === '--type') {
      if (!(WORKFLOW_TYPES as readonly string[]).includes(value))
        throw new ValidationError('replay --type', value, `one of ${WORKFLOW_TYPES.join(', ')}`);
      parsed.types = [value];
    } else if (flag === '--limit') {
      const limit = Number(value);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new ValidationError('replay --limit', value, 'a whole number from 1 to 10000');
      parsed.limit = limit;
    } else throw new ValidationError('replay option', flag, 'only --type <workflow type> and --limit N');
  }
  return parsed;
}

export async function replayCommand(args: string[]): Promise<number> {
  const { types, limit } = parseArgs(args);
  // the bundler's and replay workers' INFO lines would bury the verdicts
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cfg = config();
  const { client, close } = await connectTemporal(cfg);
  try {
    const histories: RecordedRun[] = [];
    for (const type of types) {
      const before = histories.length;
      // closed runs only: a running one's history is still growing
      for await (const run of client.workflow.list({
        query: `WorkflowType="${type}" AND ExecutionStatus!="Running"`,
      })) {
        if (histories.length - before >= limit) break;
        histories.push({
          workflowId: run.workflowId,
          history: await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(),
        });
      }
      console.log(`${type.padEnd(16)} ${histories.length - before} closed run(s)`);
    }
    let failed = 0;
    for await (const result of Worker.runReplayHistories(workflowOptions(cfg.worker.workflowBundlePath), histories)) {
      if (!result.error) continue;
      failed++;
      console.log(`not replayable: ${result.workflowId}: ${result.error.message}`);
    }
    console.log(`replayed ${histories.length} histories: ${histories.length - failed} deterministic, ${failed} not`);
    return failed === 0 ? 0 : 1;
  } finally {
    await close();
  }
}
