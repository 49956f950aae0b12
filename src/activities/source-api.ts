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
import { admitDefinition, admitNewRun } from '../ingest/admission';
import { hasOwnDestinations, sourceDestinationPolicy, sourceOrigins } from '../ingest/destinations';
import { createSourceAgent } from '../ingest/http';
import { deadLetterPageKey, fetchSourcePage, mapPage, uniqueEntities, type FetchedPage } from '../ingest/pages';
import { compileMapping } from '../ingest/records';
import { checkSecretReferences, resolveSecrets, secretBinding } from '../ingest/secrets';
import { addCounts, emptyCounts, type IngestCounts } from '../shared/ingest-counts';
import { pageKey, type PageRef, type RunParams } from '../shared/pagination';
import { validateSourceDefinition, type Pagination, type ResolvedSource } from '../shared/source-definition';
import type { ActivityDeps } from './deps';

export interface LoadSourceDefinitionInput {
  source: string;
}

export interface LoadSourceDefinitionOutput {
  definition: ResolvedSource;
}

export interface AdmitSourceDefinitionInput {
  /** an inline definition, or the one a continued run's checkpoint carries */
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
  /**
   * the ingest run's key for its dead letters (the first run id of its continue-as-new chain): a
   * retried page writes each dead letter once, and a later run under the same workflow id (a
   * retrain's ingest child) keeps its own. @default the activity's workflow run id
   */
  runKey?: string;
}

export interface IngestPagesOutput extends IngestCounts {
  /** the page after the last one written; null when the source has no more */
  next: PageRef | null;
  /** the last page written (its pageKey), for the watermark */
  lastPage: string | null;
  /** time spent waiting for the shared rate limit, ms */
  rateLimitWaitMs: number;
  /** an 'auto' source: the pagination its first response showed (later pages use it) */
  detected?: Pagination;
  /** a numbered page past the end answered 404 or 400 (the listing ends there) */
  pastEnd?: boolean;
}

/** What a heartbeat carries: the checkpoint inside one activity call. */
interface Checkpoint extends IngestPagesOutput {
  start: number;
}

export function createSourceApiActivities({ pool, redis, config }: ActivityDeps) {
  // one connection pool for every source, and one per source that INGEST_ALLOW_DESTINATIONS names alone
  const everySource = sourceDestinationPolicy(config.ingest);
  const shared = { destinations: everySource, agent: createSourceAgent(everySource) };
  const own = new Map<string, typeof shared>();
  const networkOf = (name: string): typeof shared => {
    if (!hasOwnDestinations(config.ingest, name)) return shared;
    let n = own.get(name);
    if (!n) {
      const destinations = sourceDestinationPolicy(config.ingest, name);
      own.set(name, (n = { destinations, agent: createSourceAgent(destinations) }));
    }
    return n;
  };

  return {
    /** Reads `<source>.json` from INGEST_SOURCES_DIR and validates it (secret references included). */
    async loadSourceDefinition({ source }: LoadSourceDefinitionInput): Promise<LoadSourceDefinitionOutput> {
      const definition = await loadSourceFile(config.ingest.sourcesDir, source);
      checkSecretReferences(definition, config.ingest.secretEnvAllow, `${source}.json`);
      return { definition };
    },

    /** Whether this worker runs `definition` (src/ingest/admission.ts): a ValidationError naming the field when not. */
    async admitSourceDefinition({ definition }: AdmitSourceDefinitionInput): Promise<void> {
      await admitNewRun(validateSourceDefinition(definition, 'definition'), config.ingest, pool);
    },

    /** Fetches and writes up to `maxPages` pages from `start`; returns counts and the next page. */
    async ingestPages(input: IngestPagesInput): Promise<IngestPagesOutput> {
      // Re-validate: the activity is the last line before I/O, and a definition from history may predate a fix.
      let source = validateSourceDefinition(input.source);
      // the source's INGEST_SOURCES_DIR file, which binds its secrets; an inline definition runs only if allowed
      const onDisk = await admitDefinition(source, config.ingest);
      const info = activityInfo();
      // dead letters and lineage are keyed by the ingest run's workflow id and run key (stable across continue-as-new)
      const workflowId = info.workflowExecution?.workflowId ?? `activity-${info.activityId}`;
      const runId = input.runKey ?? info.workflowExecution?.runId ?? '';
      const map = compileMapping(source.mapping);
      const limit = input.start.index + input.maxPages;
      let rateLimitWaitMs = 0;
      const { agent, destinations } = networkOf(source.name);
      const fetchOptions = {
        agent,
        redis,
        // before any request: a disallowed variable is a ValidationError naming it, an unset one a ConfigError
        secrets: resolveSecrets(source, config.ingest.secretEnvAllow, (variable) =>
          secretBinding(variable, config.ingest.secretOrigins, onDisk),
        ),
        origins: sourceOrigins(source),
        destinations,
        timeoutMs: source.requestTimeoutMs ?? config.ingest.requestTimeoutMs,
        deadlineMs: source.requestDeadlineMs ?? config.ingest.requestDeadlineMs,
        maxBytes: source.maxPageBytes ?? config.ingest.maxPageBytes,
        jsonExpansion: config.ingest.jsonExpansion,
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
        // a resumed 'auto' run goes on with the pagination its first page showed
        if (progress.detected) source = { ...source, pagination: progress.detected };
        const fetchNext = (ref: PageRef | null): Promise<FetchedPage> | null => {
          if (!ref || ref.index >= limit) return null;
          const p = fetchSourcePage(source, ref, input.params, fetchOptions);
          p.catch(() => {}); // awaited below; this only keeps an early rejection from being "unhandled"
          return p;
        };
        let fetching = fetchNext(progress.next);
        while (fetching) {
          const page = await fetching;
          // the page's key under the pagination that fetched it (an 'auto' first page stays 'auto=(first)')
          const key = deadLetterPageKey(pageKey(source, page.ref), input.params);
          if (page.detected) {
            source = { ...source, pagination: page.detected };
            progress.detected = page.detected;
          }
          if (page.pastEnd) {
            progress.next = null;
            progress.pastEnd = true;
            heartbeat({ ...progress });
            break;
          }
          fetching = fetchNext(page.next); // prefetch while this page is written
          const { rows, deadLetters: recordLetters, duplicates, maxEventTime } = mapPage(page.records, map);
          const deadLetters = page.badPage ? [page.badPage, ...recordLetters] : recordLetters;
          const client = await pool.connect();
          try {
            await writePage(
              client,
              {
                source: source.name,
                featureSet: source.mapping.featureSet,
                workflowId,
                runId,
                page: key,
                rows,
                deadLetters,
              },
              input.writeMethod,
            );
          } finally {
            client.release();
          }
          // After the commit: a reader that refills in between gets the new row anyway.
          await invalidateEntities(redis, source.mapping.featureSet, uniqueEntities(rows));
          Object.assign(
            progress,
            addCounts(progress, {
              pages: 1,
              recordsSeen: page.records.length,
              recordsWritten: rows.length,
              deadLetters: recordLetters.length,
              deadPages: page.badPage ? 1 : 0,
              duplicatesMerged: duplicates,
              maxEventTime,
            }),
          );
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
