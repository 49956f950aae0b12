/**
 * ingestSource: loads one HTTP source into the feature store, exactly once.
 *
 * The workflow holds only the checkpoint (the next page's ref and the counts); each activity fetches
 * its pages AND writes them, so no record passes through history. Page and offset sources keep up to
 * `maxPagesInFlight` activities running on consecutive pages; cursor and link sources follow their
 * chain one activity at a time (each prefetches the next page while writing). A killed worker costs at
 * most the pages after the last heartbeat, which are re-fetched and re-written idempotently. Before
 * the history grows large the workflow drains its pages in flight and continues as new with the
 * checkpoint. Incremental sources read their watermark at the start and save it at the end.
 */
import {
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createFeatureStoreActivities } from '../activities/feature-store';
import type { createSourceApiActivities, IngestPagesOutput } from '../activities/source-api';
import { ApplicationFailure } from '@temporalio/common';
import type {
  IngestCheckpoint,
  IngestSourceInput,
  IngestSourceOutput,
  IngestSourceWorkflow,
} from '../shared/contracts/ingest-source';
import { FailureType, ValidationError } from '../shared/errors';
import { failing } from '../shared/failure';
import { Patch } from '../shared/patches';
import { addCounts, emptyCounts, isReconciled, type IngestCounts } from '../shared/ingest-counts';
import { progressQuery } from '../shared/messages/ingest-source';
import { sourceName } from '../shared/names';
import { describePagination, pageKey, type RunParams } from '../shared/pagination';
import { RecordsWritten, SourceName } from '../shared/search-attributes';
import { isParallelStyle, validateSourceDefinition, type ResolvedSource } from '../shared/source-definition';
import { timeWindow } from '../shared/time-window';
import { integer, parse } from '../shared/validation';

/** Below this, a run would continue as new before its first page (the history starts with a few events). */
const MIN_HISTORY_EVENT_LIMIT = 10;

const { ingestPages } = proxyActivities<ReturnType<typeof createSourceApiActivities>>({
  // A run of pages; a dead worker is noticed by the heartbeat timeout long before this.
  startToCloseTimeout: '30 minutes',
  // The activity heartbeats every 2 s and after each page: 15 s of silence means the worker is gone.
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    // ~10 minutes of a misbehaving source (429/5xx/timeouts) before the run fails naming the URL.
    maximumAttempts: 25,
    nonRetryableErrorTypes: [FailureType.Validation, FailureType.Config],
  },
});

const { loadSourceDefinition, admitSourceDefinition } = proxyActivities<ReturnType<typeof createSourceApiActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FailureType.Validation] },
});

const { readWatermark, saveWatermark } = proxyActivities<ReturnType<typeof createFeatureStoreActivities>>({
  startToCloseTimeout: '30 seconds',
  // PostgreSQL restarts take seconds; keep trying for a few minutes.
  retry: { initialInterval: '1 second', maximumInterval: '15 seconds', maximumAttempts: 20 },
});

const { indexClosedPartitions } = proxyActivities<ReturnType<typeof createFeatureStoreActivities>>({
  // Building a GIN on a closed day takes seconds to a minute per million rows.
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '10 minutes',
  retry: { maximumAttempts: 5 },
});

function details(
  source: ResolvedSource,
  c: IngestCounts,
  cursor: string | null,
  inFlight: number,
  done: boolean,
): string {
  return [
    `**${source.name}** → feature set \`${source.mapping.featureSet}\` (${describePagination(source.pagination)}, ${source.pageSize}/page)`,
    `pages ${c.pages} · records seen ${c.recordsSeen} · written ${c.recordsWritten} · dead letters ${c.deadLetters}${c.deadPages ? ` · dead pages ${c.deadPages}` : ''} · duplicates merged ${c.duplicatesMerged}`,
    done ? 'done' : `next page: \`${cursor ?? 'none'}\` · pages in flight: ${inFlight}`,
  ].join('\n\n');
}

/** The checkpoint a new run starts from: the validated definition, its run parameters, the watermark. */
async function startCheckpoint(input: IngestSourceInput): Promise<IngestCheckpoint> {
  const params: RunParams = {};
  const definition = await failing(async () => {
    parse(sourceName, input.source, 'source');
    if (input.historyEventLimit !== undefined)
      parse(integer(MIN_HISTORY_EVENT_LIMIT, 1_000_000), input.historyEventLimit, 'historyEventLimit');
    let resolved: ResolvedSource;
    if (input.definition !== undefined) {
      resolved = validateSourceDefinition(input.definition, 'definition');
      if (resolved.name !== input.source)
        throw new ValidationError('definition.name', resolved.name, `equal to source "${input.source}"`);
      // the worker decides whether inline definitions run, and that one takes no other source's name or feature set
      if (patched(Patch.ingestAdmission)) await admitSourceDefinition({ definition: resolved });
    } else {
      resolved = (await loadSourceDefinition({ source: input.source })).definition;
    }
    if (input.window) {
      if (!resolved.window)
        throw new ValidationError(
          'window',
          input.window,
          `a source with window parameters (${resolved.name} declares no "window")`,
        );
      params.window = parse(timeWindow, input.window, 'window');
    }
    return resolved;
  });
  let previousWatermark: string | null = null;
  if (definition.incremental && !input.full) {
    const watermark = await readWatermark({ source: definition.name });
    previousWatermark = watermark.eventTime;
    if (watermark.eventTime) params.since = watermark.eventTime;
  }
  return {
    definition,
    params,
    next: { index: 0 },
    counts: emptyCounts(),
    lastPage: null,
    previousWatermark,
    continuedAsNew: 0,
  };
}

export const ingestSource = async function ingestSource(input) {
  // Registered before the first await, so a query never finds the run without its handler; it reads
  // the input's checkpoint until the run is validated.
  const queried: { run?: IngestRun } = {};
  setHandler(progressQuery, () => {
    const { run } = queried;
    const current = run?.state ?? input.checkpoint;
    const counts = current?.counts ?? emptyCounts();
    const cursor = current?.next ? pageKey(current.definition, current.next) : null;
    return {
      source: input.source,
      ...counts,
      cursor,
      pagesInFlight: run?.inFlight ?? 0,
      continuedAsNew: current?.continuedAsNew ?? 0,
      done: run?.done ?? false,
    };
  });

  const run = (queried.run = await validatePhase(input));
  if (isParallelStyle(run.source.pagination.style)) await numberedPagesPhase(run);
  else await chainedPagesPhase(run);
  await continuePhase(run);
  return finishPhase(run);
} satisfies IngestSourceWorkflow;

/** A run between its phases: the checkpoint as it advances, the source, and what the progress query and the Web UI show. */
interface IngestRun {
  input: IngestSourceInput;
  /** the checkpoint as it advances, carried across continue-as-new */
  state: IngestCheckpoint;
  /** the definition; its pagination is replaced once detected (state.definition follows) */
  source: ResolvedSource;
  /** dead letters are keyed by run: the first run of this continue-as-new chain */
  runKey: string;
  historyLimit: number;
  maxDeadPages: number;
  inFlight: number;
  done: boolean;
  /** results absorbed since the last RecordsWritten upsert */
  sinceUpsert: number;
}

function report(run: IngestRun): void {
  const { source, state } = run;
  setCurrentDetails(
    details(source, state.counts, state.next ? pageKey(source, state.next) : null, run.inFlight, run.done),
  );
}

/** Adds an activity's pages to the checkpoint; too many dead pages fail the run. */
function absorb(run: IngestRun, out: IngestPagesOutput): void {
  const { state } = run;
  const { next: _next, lastPage, rateLimitWaitMs: _wait, detected, pastEnd: _pastEnd, ...counts } = out;
  state.counts = addCounts(state.counts, counts);
  if (lastPage) state.lastPage = lastPage;
  if (detected) {
    run.source = { ...run.source, pagination: detected };
    state.definition = run.source;
    state.detected = true;
    log.info('pagination detected', { source: run.source.name, pagination: describePagination(detected) });
  }
  if ((state.counts.deadPages ?? 0) > run.maxDeadPages) {
    throw ApplicationFailure.nonRetryable(
      `${run.source.name}: ${state.counts.deadPages} pages were not the JSON the definition describes (more than badPages.maxDeadPages=${run.maxDeadPages}); see features.dead_letters (record_index -1) for their text`,
      FailureType.SourcePage,
    );
  }
  // one search-attribute event per 10 results keeps the Web UI current without doubling the history
  if (++run.sinceUpsert >= 10) {
    run.sinceUpsert = 0;
    upsertSearchAttributes([{ key: RecordsWritten, value: state.counts.recordsWritten }]);
  }
  report(run);
}

function historyFull(run: IngestRun): boolean {
  return workflowInfo().historyLength >= run.historyLimit || workflowInfo().continueAsNewSuggested;
}

/** The checkpoint to go on from (a new run's: validated, with its watermark), and the run's search attributes. */
async function validatePhase(input: IngestSourceInput): Promise<IngestRun> {
  // a checkpoint is workflow input too: the worker admits its definition as it would an inline one
  if (input.checkpoint && patched(Patch.ingestAdmission))
    await failing(() => admitSourceDefinition({ definition: input.checkpoint!.definition }));
  const checkpoint = input.checkpoint ?? (await startCheckpoint(input));
  const source = checkpoint.definition;
  const state: IngestCheckpoint = { ...checkpoint };
  const run: IngestRun = {
    input,
    state,
    source,
    runKey: workflowInfo().firstExecutionRunId,
    historyLimit: input.historyEventLimit ?? 2000,
    maxDeadPages: source.badPages?.maxDeadPages ?? 10,
    inFlight: 0,
    done: false,
    sinceUpsert: 0,
  };
  log.info('ingesting source', {
    source: source.name,
    featureSet: source.mapping.featureSet,
    style: source.pagination.style,
    since: state.params.since ?? null,
    resumeAt: state.next ? pageKey(source, state.next) : null,
    continuedAsNew: state.continuedAsNew,
  });

  if (workflowInfo().typedSearchAttributes.get(SourceName) !== source.name)
    upsertSearchAttributes([
      { key: SourceName, value: source.name },
      { key: RecordsWritten, value: state.counts.recordsWritten },
    ]);
  report(run);
  return run;
}

/** Numbered pages: a sliding window of ranges; a short page marks the end. */
async function numberedPagesPhase(run: IngestRun): Promise<void> {
  const { state } = run;
  let nextIndex = state.next?.index ?? 0;
  let endAt = state.next ? Infinity : nextIndex; // first index known to be past the end
  let failure: unknown;
  // a page past the end answered 404/400 here; records after it would mean it was no end at all
  let notFoundAt = Infinity;
  let dataEnd = 0;
  const running = new Set<Promise<void>>();
  const launch = (startIndex: number) => {
    run.inFlight++;
    const p: Promise<void> = ingestPages({
      source: run.source,
      start: { index: startIndex },
      maxPages: run.source.pagesPerActivity,
      params: state.params,
      runKey: run.runKey,
    })
      .then(
        (out) => {
          absorb(run, out);
          if (out.recordsSeen > 0 || out.deadPages > 0) dataEnd = Math.max(dataEnd, startIndex + out.pages);
          if (out.pastEnd) notFoundAt = Math.min(notFoundAt, startIndex + out.pages);
          if (out.next === null) endAt = Math.min(endAt, startIndex + out.pages);
        },
        (err) => {
          failure ??= err;
        },
      )
      .finally(() => {
        run.inFlight--;
        running.delete(p);
      });
    running.add(p);
  };
  for (;;) {
    while (!failure && !historyFull(run) && running.size < run.source.maxPagesInFlight && nextIndex < endAt) {
      launch(nextIndex);
      nextIndex += run.source.pagesPerActivity;
    }
    // The checkpoint is the lowest page not known to be written: with nothing in flight, nextIndex.
    state.next = nextIndex < endAt ? { index: nextIndex } : null;
    if (running.size === 0) break;
    await Promise.race(running);
  }
  if (failure) throw failure;
  if (dataEnd > notFoundAt) {
    throw ApplicationFailure.nonRetryable(
      `${run.source.name}: ${pageKey(run.source, { index: notFoundAt })} answered 404/400 as if past the end, but a later page had records; not treating it as the end`,
      FailureType.SourceHttp,
    );
  }
  state.next = nextIndex < endAt ? { index: nextIndex } : null;
}

/** Cursor and link: the next page is known only from the previous one. */
async function chainedPagesPhase(run: IngestRun): Promise<void> {
  const { state } = run;
  while (state.next && !historyFull(run)) {
    run.inFlight = 1;
    report(run);
    const out = await ingestPages({
      source: run.source,
      start: state.next,
      maxPages: run.source.pagesPerActivity,
      params: state.params,
      runKey: run.runKey,
    });
    run.inFlight = 0;
    absorb(run, out);
    state.next = out.next;
  }
}

/** Pages left (the history is full): a new run goes on from the checkpoint. */
async function continuePhase({ input, state, source }: IngestRun): Promise<void> {
  if (state.next) {
    log.info('continuing as new', {
      source: source.name,
      next: pageKey(source, state.next),
      historyLength: workflowInfo().historyLength,
    });
    upsertSearchAttributes([{ key: RecordsWritten, value: state.counts.recordsWritten }]);
    await continueAsNew<IngestSourceWorkflow>({
      ...input,
      checkpoint: { ...state, continuedAsNew: state.continuedAsNew + 1 },
    });
  }
}

/** Every page is in: the watermark, the closed partitions' indexes, and the run's counts. */
async function finishPhase(run: IngestRun): Promise<IngestSourceOutput> {
  const { input, state, source } = run;
  let watermark = state.previousWatermark;
  if (source.incremental) {
    const maxTime = state.counts.maxEventTime;
    watermark = (
      await saveWatermark({
        source: source.name,
        eventTime: maxTime ?? watermark,
        cursor: state.lastPage,
        workflowId: workflowInfo().workflowId,
      })
    ).eventTime;
  }
  const indexedPartitions = input.indexClosedPartitions === false ? [] : (await indexClosedPartitions({})).indexed;
  run.done = true;
  upsertSearchAttributes([{ key: RecordsWritten, value: state.counts.recordsWritten }]);
  report(run);
  const c = state.counts;
  const output: IngestSourceOutput = {
    source: source.name,
    featureSet: source.mapping.featureSet,
    ...c,
    deadPages: c.deadPages ?? 0,
    reconciled: isReconciled(c),
    pagination: `${describePagination(source.pagination)}${state.detected ? ' (detected)' : ''}`,
    watermark,
    continuedAsNew: state.continuedAsNew,
    indexedPartitions,
  };
  log.info('ingested source', { ...output, indexedPartitions: indexedPartitions.length });
  return output;
}
