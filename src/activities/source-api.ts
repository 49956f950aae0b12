/**
 * Source-API activities. `ingestPages` fetches a run of pages AND writes each one before returning:
 * pages never travel through workflow payloads, only counts and the next page's ref do.
 *
 * Inside one call, the next page is fetched while the current one is written (two pages in memory at
 * most). After each committed page the activity heartbeats its progress; a retry (worker killed,
 * PostgreSQL restarted, a 429) resumes from that heartbeat at the first uncommitted page. A page
 * re-fetched after a crash is written again idempotently (upsert on the natural key, dead letters on
 * a unique key), and it is counted once: the counts travel with the checkpoint.
 */
import { Context, activityInfo, heartbeat } from '@temporalio/activity';
import { loadSourceFile } from '../catalog/sources';
import { invalidateEntities } from '../feature-store/online-cache';
import { writePage, type WriteMethod } from '../feature-store/page-writer';
import { createSourceAgent } from '../ingest/http';
import { deadLetterPageKey, fetchSourcePage, mapPage, resolveHeaders, uniqueEntities, type FetchedPage } from '../ingest/pages';
import { compileMapping } from '../ingest/records';
import { addCounts, emptyCounts, type IngestCounts } from '../shared/ingest-counts';
import { pageKey, type PageRef, type RunParams } from '../shared/pagination';
import { validateSourceDefinition, type ResolvedSource } from '../shared/source-definition';
import type { ActivityDeps } from './deps';

export interface LoadSourceDefinitionInput {
  source: string;
}

export interface LoadSourceDefinitionOutput {
  definition: ResolvedSource;
}

export interface IngestPagesInput {
  source: ResolvedSource;
  /** the first page to fetch */
  start: PageRef;
  /** fetch at most this many pages (start.index … start.index + maxPages - 1) */
  maxPages: number;
  params: RunParams;
  /** how rows reach PostgreSQL. @default 'copy-direct' */
  writeMethod?: WriteMethod;
}

export interface IngestPagesOutput extends IngestCounts {
  /** the page after the last one written; null when the source has no more */
  next: PageRef | null;
  /** the last page written (its pageKey), for the watermark */
  lastPage: string | null;
  /** time spent waiting for the shared rate limit, ms */
  rateLimitWaitMs: number;
}

/** What a heartbeat carries: the checkpoint inside one activity call. */
interface Checkpoint extends IngestPagesOutput {
  start: number;
}

export function createSourceApiActivities({ pool, redis, config }: ActivityDeps) {
  const agent = createSourceAgent();

  return {
    /** Reads `<source>.json` from INGEST_SOURCES_DIR and validates it. */
    async loadSourceDefinition({ source }: LoadSourceDefinitionInput): Promise<LoadSourceDefinitionOutput> {
      return { definition: await loadSourceFile(config.ingest.sourcesDir, source) };
    },

    /** Fetches and writes up to `maxPages` pages from `start`; returns counts and the next page. */
    async ingestPages(input: IngestPagesInput): Promise<IngestPagesOutput> {
      // Re-validate: the activity is the last line before I/O, and a definition from history may predate a fix.
      const source = validateSourceDefinition(input.source);
      const info = activityInfo();
      // dead letters and lineage are keyed by the ingest run's workflow id (stable across continue-as-new)
      const workflowId = info.workflowExecution?.workflowId ?? `activity-${info.activityId}`;
      const runId = info.workflowExecution?.runId ?? '';
      const map = compileMapping(source.mapping);
      const limit = input.start.index + input.maxPages;
      let rateLimitWaitMs = 0;
      const fetchOptions = {
        agent,
        redis,
        headers: resolveHeaders(source),
        timeoutMs: source.requestTimeoutMs ?? config.ingest.requestTimeoutMs,
        signal: Context.current().cancellationSignal,
        onRateLimitWait: (ms: number) => (rateLimitWaitMs += ms),
      };

      const resumed = info.heartbeatDetails as Checkpoint | undefined;
      const progress: Checkpoint =
        resumed && resumed.start === input.start.index
          ? { ...resumed }
          : { start: input.start.index, ...emptyCounts(), next: input.start, lastPage: null, rateLimitWaitMs: 0 };

      // Heartbeat on a timer too: a rate-limit wait or a slow page must not look like a dead worker.
      const beat = setInterval(() => heartbeat({ ...progress }), 2000);
      try {
        const fetchNext = (ref: PageRef | null): Promise<FetchedPage> | null => {
          if (!ref || ref.index >= limit) return null;
          const p = fetchSourcePage(source, ref, input.params, fetchOptions);
          p.catch(() => {}); // awaited below; this only keeps an early rejection from being "unhandled"
          return p;
        };
        let fetching = fetchNext(progress.next);
        while (fetching) {
          const page = await fetching;
          fetching = fetchNext(page.next); // prefetch while this page is written
          const key = deadLetterPageKey(pageKey(source, page.ref), input.params);
          const { rows, deadLetters, duplicates, maxEventTime } = mapPage(page.records, map);
          const client = await pool.connect();
          try {
            await writePage(client, { source: source.name, featureSet: source.mapping.featureSet, workflowId, runId, page: key, rows, deadLetters }, input.writeMethod);
          } finally {
            client.release();
          }
          // After the commit: a reader that refills in between gets the new row anyway.
          await invalidateEntities(redis, source.mapping.featureSet, uniqueEntities(rows));
          Object.assign(progress, addCounts(progress, { pages: 1, recordsSeen: page.records.length, recordsWritten: rows.length, deadLetters: deadLetters.length, duplicatesMerged: duplicates, maxEventTime }));
          progress.next = page.next;
          progress.lastPage = key;
          progress.rateLimitWaitMs = rateLimitWaitMs;
          heartbeat({ ...progress });
        }
        const { start: _start, ...output } = progress;
        return output;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
