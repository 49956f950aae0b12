/**
 * `ingest <source> [--follow]`: starts ingestSource for a source of INGEST_SOURCES_DIR (as startIngest
 * does for every caller) and prints where to find the run; with --follow, draws its pages and records
 * from the `progress` query until it ends. `ingest --attach <workflow-id>` follows a run already going.
 * Exit 0 when the run completed, 1 when it failed, 130 when following was interrupted (the run goes on).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { config } from '../config';
import { connectTemporal, startIngest } from '../client';
import type { IngestSourceOutput } from '../shared/contracts/ingest-source';
import { ValidationError } from '../shared/errors';
import { progressQuery, type IngestProgress } from '../shared/messages/ingest-source';
import { sourceName } from '../shared/names';
import { SourceName } from '../shared/search-attributes';
import { parse } from '../shared/validation';
import { follow, onInterrupt, reportOutcome, terminalIo } from './follow';
import { ingestFrame, ingestLine, type IngestView } from './progress-frame';
import { cliHint, describeHint, runLines, shellQuote, type RunRef } from './run-links';

/** A query that gets no answer within this is shown as a note (no worker polling, say), not waited on. */
const QUERY_DEADLINE_MS = 5_000;

interface IngestArgs {
  source?: string;
  attach?: string;
  follow: boolean;
}

function parseArgs(args: string[]): IngestArgs {
  const parsed: IngestArgs = { follow: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--follow') parsed.follow = true;
    else if (a === '--attach') {
      parsed.attach = args[++i];
      if (!parsed.attach) throw new ValidationError('--attach', parsed.attach, 'the workflow id of an ingest run');
      parsed.follow = true;
    } else if (a.startsWith('-'))
      throw new ValidationError('ingest option', a, 'one of --follow, --attach <workflow-id>');
    else if (parsed.source === undefined) parsed.source = parse(sourceName, a, 'source');
    else throw new ValidationError('ingest arguments', a, 'one source name: ingest <source> [--follow]');
  }
  if (!parsed.source && !parsed.attach)
    throw new ValidationError(
      'source',
      parsed.source,
      'a source name: ingest <source> [--follow], or ingest --attach <workflow-id>',
    );
  if (parsed.source && parsed.attach)
    throw new ValidationError(
      'ingest arguments',
      `${parsed.source} --attach ${parsed.attach}`,
      'either a source to start or --attach <workflow-id> to follow, not both',
    );
  return parsed;
}

/** The run of `workflowId` that is going (or last went), refused unless it is an ingest run. */
async function attachTo(client: Client, workflowId: string): Promise<RunRef & { source: string }> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.type !== 'ingestSource')
      throw new ValidationError('--attach', workflowId, `an ingestSource run (this one is ${d.type})`);
    return { workflowId, runId: d.runId, source: d.typedSearchAttributes.get(SourceName) ?? workflowId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new ValidationError('--attach', workflowId, 'the workflow id of an ingest run; none has it');
    throw err;
  }
}

/** The finished run's counts as a final progress answer: its result is certain, a query may be stale. */
function finished(view: IngestView, out: IngestSourceOutput): IngestView {
  const progress: IngestProgress = {
    ...out,
    cursor: null,
    pagesInFlight: 0,
    continuedAsNew: out.continuedAsNew,
    done: true,
  };
  return { ...view, progress };
}

export function ingestSummary(out: IngestSourceOutput): string {
  const checks = `${out.recordsSeen.toLocaleString('en-US')} seen, ${out.deadLetters} dead letters, ${out.duplicatesMerged} duplicates merged; ${out.reconciled ? 'reconciled' : 'NOT reconciled: see features.dead_letters'}`;
  return `done: ${out.recordsWritten.toLocaleString('en-US')} records written from ${out.pages} pages of ${out.source} into feature set ${out.featureSet} (${checks})`;
}

export async function ingestCommand(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const cfg = config();
  const temporal = await connectTemporal(cfg);
  const client = temporal.client;
  try {
    let run: RunRef & { source: string };
    if (opts.attach) {
      run = await attachTo(client, opts.attach);
      console.log(`following ingest of ${run.source}`);
    } else {
      const handle = await startIngest(client, { source: opts.source! }, { config: cfg });
      run = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, source: opts.source! };
      console.log(`started ingest of ${run.source} on task queue ${cfg.temporal.taskQueue}`);
    }
    // without a run id: a long ingest continues as new, and the latest run of the chain answers
    const describe = describeHint(run, false);
    console.log(runLines(cfg, run, describe).join('\n'));
    const again = cliHint(`ingest --attach ${shellQuote(run.workflowId)}`);
    if (!opts.follow) {
      console.log(`  follow it    ${again}`);
      return 0;
    }

    const handle = client.workflow.getHandle(run.workflowId);
    const interrupt = onInterrupt();
    try {
      const outcome = await follow<IngestView, IngestSourceOutput>(
        {
          initial: { workflowId: run.workflowId, source: run.source },
          poll: async (previous) => ({
            ...previous,
            progress: await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(progressQuery)),
          }),
          frame: ingestFrame,
          line: ingestLine,
          result: handle.result() as Promise<IngestSourceOutput>,
          finish: finished,
        },
        terminalIo(interrupt.interrupted),
      );
      return reportOutcome(outcome, ingestSummary, again, describe);
    } finally {
      interrupt.dispose();
    }
  } finally {
    await temporal.close();
  }
}
