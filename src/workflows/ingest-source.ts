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
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createFeatureStoreActivities } from '../activities/feature-store';
import type { createSourceApiActivities, IngestPagesOutput } from '../activities/source-api';
import { ApplicationFailure } from '@temporalio/common';
import type { IngestCheckpoint, IngestSourceInput, IngestSourceOutput, IngestSourceWorkflow } from '../shared/contracts/ingest-source';
import { FailureType, ValidationError } from '../shared/errors';
import { failing } from '../shared/failure';
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

const { loadSourceDefinition } = proxyActivities<ReturnType<typeof createSourceApiActivities>>({
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

function details(source: ResolvedSource, c: IngestCounts, cursor: string | null, inFlight: number, done: boolean): string {
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
    if (input.historyEventLimit !== undefined) parse(integer(MIN_HISTORY_EVENT_LIMIT, 1_000_000), input.historyEventLimit, 'historyEventLimit');
    let resolved: ResolvedSource;
    if (input.definition !== undefined) {
      resolved = validateSourceDefinition(input.definition, 'definition');
      if (resolved.name !== input.source) throw new ValidationError('definition.name', resolved.name, `equal to source "${input.source}"`);
    } else {
      resolved = (await loadSourceDefinition({ source: input.source })).definition;
    }
    if (input.window) {
      if (!resolved.window) throw new ValidationError('window', input.window, `a source with window parameters (${resolved.name} declares no "window")`);
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
  return { definition, params, next: { index: 0 }, counts: emptyCounts(), lastPage: null, previousWatermark, continuedAsNew: 0 };
}

export const ingestSource = async function ingestSource(input) {
  // Registered before the first await, so a query never finds the run without its handler.
  let current: IngestCheckpoint | undefined = input.checkpoint;
  let inFlight = 0;
  let done = false;
  setHandler(progressQuery, () => {
    const counts = current?.counts ?? emptyCounts();
    const cursor = current?.next ? pageKey(current.definition, current.next) : null;
    return { source: input.source, ...counts, cursor, pagesInFlight: inFlight, continuedAsNew: current?.continuedAsNew ?? 0, done };
  });

  // --- validate -----------------------------------------------------------------------------------
  const checkpoint = input.checkpoint ?? (await startCheckpoint(input));
  let source = checkpoint.definition;
  const state: IngestCheckpoint = { ...checkpoint };
  // dead letters are keyed by run: the first run of this continue-as-new chain
  const runKey = workflowInfo().firstExecutionRunId;
  current = state;
  const historyLimit = input.historyEventLimit ?? 2000;
  log.info('ingesting source', { source: source.name, featureSet: source.mapping.featureSet, style: source.pagination.style, since: state.params.since ?? null, resumeAt: state.next ? pageKey(source, state.next) : null, continuedAsNew: state.continuedAsNew });

  if (workflowInfo().typedSearchAttributes.get(SourceName) !== source.name) upsertSearchAttributes([{ key: SourceName, value: source.name }, { key: RecordsWritten, value: state.counts.recordsWritten }]);
  const report = () => setCurrentDetails(details(source, state.counts, state.next ? pageKey(source, state.next) : null, inFlight, done));
  let sinceUpsert = 0;
  const maxDeadPages = source.badPages?.maxDeadPages ?? 10;
  const absorb = (out: IngestPagesOutput) => {
    const { next: _next, lastPage, rateLimitWaitMs: _wait, detected, pastEnd: _pastEnd, ...counts } = out;
    state.counts = addCounts(state.counts, counts);
    if (lastPage) state.lastPage = lastPage;
    if (detected) {
      source = { ...source, pagination: detected };
      state.definition = source;
      state.detected = true;
      log.info('pagination detected', { source: source.name, pagination: describePagination(detected) });
    }
    if ((state.counts.deadPages ?? 0) > maxDeadPages) {
      throw ApplicationFailure.nonRetryable(
        `${source.name}: ${state.counts.deadPages} pages were not the JSON the definition describes (more than badPages.maxDeadPages=${maxDeadPages}); see features.dead_letters (record_index -1) for their text`,
        FailureType.SourcePage,
      );
    }
    // one search-attribute event per 10 results keeps the Web UI current without doubling the history
    if (++sinceUpsert >= 10) {
      sinceUpsert = 0;
      upsertSearchAttributes([{ key: RecordsWritten, value: state.counts.recordsWritten }]);
    }
    report();
  };
  const historyFull = () => workflowInfo().historyLength >= historyLimit || workflowInfo().continueAsNewSuggested;
  report();

  // --- work ---------------------------------------------------------------------------------------
  if (isParallelStyle(source.pagination.style)) {
    // Numbered pages: a sliding window of ranges; a short page marks the end.
    let nextIndex = state.next?.index ?? 0;
    let endAt = state.next ? Infinity : nextIndex; // first index known to be past the end
    let failure: unknown;
    // a page past the end answered 404/400 here; records after it would mean it was no end at all
    let notFoundAt = Infinity;
    let dataEnd = 0;
    const running = new Set<Promise<void>>();
    const launch = (startIndex: number) => {
      inFlight++;
      const p: Promise<void> = ingestPages({ source, start: { index: startIndex }, maxPages: source.pagesPerActivity, params: state.params, runKey }).then(
        (out) => {
          absorb(out);
          if (out.recordsSeen > 0 || out.deadPages > 0) dataEnd = Math.max(dataEnd, startIndex + out.pages);
          if (out.pastEnd) notFoundAt = Math.min(notFoundAt, startIndex + out.pages);
          if (out.next === null) endAt = Math.min(endAt, startIndex + out.pages);
        },
        (err) => {
          failure ??= err;
        },
      ).finally(() => {
        inFlight--;
        running.delete(p);
      });
      running.add(p);
    };
    for (;;) {
      while (!failure && !historyFull() && running.size < source.maxPagesInFlight && nextIndex < endAt) {
        launch(nextIndex);
        nextIndex += source.pagesPerActivity;
      }
      // The checkpoint is the lowest page not known to be written: with nothing in flight, nextIndex.
      state.next = nextIndex < endAt ? { index: nextIndex } : null;
      if (running.size === 0) break;
      await Promise.race(running);
    }
    if (failure) throw failure;
    if (dataEnd > notFoundAt) {
      throw ApplicationFailure.nonRetryable(
        `${source.name}: ${pageKey(source, { index: notFoundAt })} answered 404/400 as if past the end, but a later page had records; not treating it as the end`,
        FailureType.SourceHttp,
      );
    }
    state.next = nextIndex < endAt ? { index: nextIndex } : null;
  } else {
    // Cursor and link: the next page is known only from the previous one.
    while (state.next && !historyFull()) {
      inFlight = 1;
      report();
      const out = await ingestPages({ source, start: state.next, maxPages: source.pagesPerActivity, params: state.params, runKey });
      inFlight = 0;
      absorb(out);
      state.next = out.next;
    }
  }

  if (state.next) {
    log.info('continuing as new', { source: source.name, next: pageKey(source, state.next), historyLength: workflowInfo().historyLength });
    upsertSearchAttributes([{ key: RecordsWritten, value: state.counts.recordsWritten }]);
    await continueAsNew<IngestSourceWorkflow>({ ...input, checkpoint: { ...state, continuedAsNew: state.continuedAsNew + 1 } });
  }

  // --- finish -------------------------------------------------------------------------------------
  let watermark = state.previousWatermark;
  if (source.incremental) {
    const maxTime = state.counts.maxEventTime;
    watermark = (await saveWatermark({ source: source.name, eventTime: maxTime ?? watermark, cursor: state.lastPage, workflowId: workflowInfo().workflowId })).eventTime;
  }
  const indexedPartitions = input.indexClosedPartitions === false ? [] : (await indexClosedPartitions({})).indexed;
  done = true;
  upsertSearchAttributes([{ key: RecordsWritten, value: state.counts.recordsWritten }]);
  report();
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
} satisfies IngestSourceWorkflow;
