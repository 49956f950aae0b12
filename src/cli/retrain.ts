/**
 * `retrain <model> [--follow] [--reason text]`: starts retrainModel as every trigger does (startRetrain:
 * a retrain already running for the model is joined, and the output says so) and prints where to find
 * the run; with --follow, draws its phase, and while it trains, each H2O job of its trainModels child
 * with its percent. `retrain <model> --attach` follows the model's running (or last) retrain.
 * Exit 0 when the run completed, 1 when it failed, 130 when following was interrupted (the run goes on).
 */
import { hostname, userInfo } from 'node:os';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { config } from '../config';
import { connectTemporal, startRetrain } from '../client';
import type { RetrainModelOutput } from '../shared/contracts/retrain-model';
import { ValidationError } from '../shared/errors';
import { retrainIngestWorkflowId, retrainTrainingWorkflowId, retrainWorkflowId } from '../shared/ids';
import { progressQuery as ingestProgressQuery } from '../shared/messages/ingest-source';
import { status as statusQuery, type RetrainPhase } from '../shared/messages/retrain-model';
import { progressQuery as trainingProgressQuery } from '../shared/messages/train-models';
import { modelName } from '../shared/names';
import { parse } from '../shared/validation';
import { follow, onInterrupt, reportOutcome, terminalIo } from './follow';
import { retrainFrame, retrainLine, type RetrainView } from './progress-frame';
import { cliHint, describeHint, runLines, shellQuote, type RunRef } from './run-links';
import { temporalHint } from './temporal';

const QUERY_DEADLINE_MS = 5_000;
/** Phases after the training child ended: its last answer is read once more, so every job shows where it ended. */
const AFTER_TRAINING: readonly RetrainPhase[] = ['registering', 'awaiting-approval', 'promoting', 'done'];

interface RetrainArgs {
  model?: string;
  reason: string;
  follow: boolean;
  attach: boolean;
}

function parseArgs(args: string[]): RetrainArgs {
  const parsed: RetrainArgs = { reason: 'manual', follow: false, attach: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--follow') parsed.follow = true;
    else if (a === '--attach') parsed.attach = parsed.follow = true;
    else if (a === '--reason') {
      parsed.reason = args[++i]?.trim() ?? '';
      if (!parsed.reason)
        throw new ValidationError('--reason', args[i], 'a non-empty text: why the model is retrained');
    } else if (a.startsWith('-'))
      throw new ValidationError('retrain option', a, 'one of --follow, --reason <text>, --attach');
    else if (parsed.model === undefined) parsed.model = parse(modelName, a, 'model');
    else
      throw new ValidationError('retrain arguments', a, 'one model name: retrain <model> [--follow] [--reason <text>]');
  }
  if (!parsed.model)
    throw new ValidationError('model', parsed.model, 'a model name: retrain <model> [--follow] [--reason <text>]');
  return parsed;
}

async function describeRun(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export function retrainSummary(out: RetrainModelOutput): string {
  const champion = `champion ${out.specName}, ${out.metric} ${out.metricValue.toFixed(4)}`;
  const production =
    out.production === null ? 'no version is in production' : `production is version ${out.production}`;
  switch (out.outcome) {
    case 'promoted':
      return `done: version ${out.version} of ${out.model} registered and promoted to production (${champion})`;
    case 'rejected':
      return `done: version ${out.version} of ${out.model} registered and rejected at approval (${champion}); ${production}`;
    case 'approval-timeout':
      return `done: version ${out.version} of ${out.model} registered; nobody approved it in time, so it was archived (${champion}); ${production}`;
    case 'superseded':
      return `done: version ${out.version} of ${out.model} registered, but a newer version won (${champion}); ${production}`;
    case 'unservable':
      return `done: version ${out.version} of ${out.model} registered and archived: the platform's scorer cannot serve its champion (${champion}); ${production}`;
  }
}

export async function retrainCommand(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const model = opts.model!;
  const cfg = config();
  const temporal = await connectTemporal(cfg);
  const client = temporal.client;
  const workflowId = retrainWorkflowId(model);
  try {
    let run: RunRef;
    if (opts.attach) {
      const d = await describeRun(client, workflowId);
      if (!d)
        throw new ValidationError('model', model, `a model with a retrain to follow; no workflow ${workflowId} exists`);
      run = { workflowId, runId: d.runId };
      console.log(
        `following the ${d.status.name === 'RUNNING' ? 'running' : `last (${d.status.name.toLowerCase()})`} retrain of ${model}`,
      );
    } else {
      // A retrain of the model that is already running is joined (startRetrain's USE_EXISTING): the one
      // running before the start and the one the start returned are then the same run.
      const before = await describeRun(client, workflowId);
      const who = `${userInfo().username}@${hostname()}`;
      const handle = await startRetrain(
        client,
        { model, reason: opts.reason, trigger: 'manual' },
        { taskQueue: cfg.temporal.taskQueue, summary: `retrain ${model}: ${opts.reason} (CLI, ${who})` },
      );
      run = { workflowId, runId: handle.firstExecutionRunId };
      if (before?.status.name === 'RUNNING' && before.runId === run.runId) {
        const summary = await before.staticSummary();
        console.log(
          `joined the retrain of ${model} already running since ${before.startTime.toISOString()}${summary ? ` (${summary})` : ''}: a model retrains once at a time, so --reason "${opts.reason}" is not recorded`,
        );
      } else {
        console.log(`started a retrain of ${model} on task queue ${cfg.temporal.taskQueue} (reason: ${opts.reason})`);
      }
    }
    // with the run id: every retrain of the model has this workflow id
    const describe = describeHint(run, true);
    console.log(runLines(cfg, run, describe).join('\n'));
    const again = cliHint(`retrain ${shellQuote(model)} --attach`);
    if (!opts.follow) {
      console.log(`  follow it    ${again}`);
      return 0;
    }

    const retrain = client.workflow.getHandle(run.workflowId, run.runId);
    const training = client.workflow.getHandle(retrainTrainingWorkflowId(run.workflowId, run.runId));
    const ask = <T>(query: () => Promise<T>) => client.withDeadline(Date.now() + QUERY_DEADLINE_MS, query);
    const interrupt = onInterrupt();
    try {
      const outcome = await follow<RetrainView, RetrainModelOutput>(
        {
          initial: {
            workflowId,
            model,
            approveHint: temporalHint(
              `workflow update execute --workflow-id ${shellQuote(workflowId)} --run-id ${shellQuote(run.runId)} --name approve --input '{"by":"${userInfo().username}"}'`,
            ),
          },
          poll: async (previous) => {
            const status = await ask(() => retrain.query(statusQuery));
            const next: RetrainView = { ...previous, status };
            // a child that has not started yet (or a query that fails) keeps the last answer
            if (status.phase === 'ingesting' && status.ingestSource) {
              const ingest = client.workflow.getHandle(
                retrainIngestWorkflowId(run.workflowId, run.runId, status.ingestSource),
              );
              next.ingest = await ask(() => ingest.query(ingestProgressQuery)).catch(() => previous.ingest);
            }
            const trainingEnded =
              previous.training && (previous.training.stage === 'done' || previous.training.stage === 'failed');
            if (status.phase === 'training' || (AFTER_TRAINING.includes(status.phase) && !trainingEnded)) {
              next.training = await ask(() => training.query(trainingProgressQuery)).catch(() => previous.training);
            }
            return next;
          },
          frame: retrainFrame,
          line: retrainLine,
          result: retrain.result() as Promise<RetrainModelOutput>,
          finish: (view, out) => ({ ...view, status: { ...view.status, phase: 'done', version: out.version } }),
        },
        terminalIo(interrupt.interrupted),
      );
      return reportOutcome(outcome, retrainSummary, again, describe);
    } finally {
      interrupt.dispose();
    }
  } finally {
    await temporal.close();
  }
}
