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
import { ApplicationFailure, Context, activityInfo, heartbeat } from '@temporalio/activity';
import { readSecretEnv } from '../config';
import { FailureType, ValidationError } from '../errors';
import { invalidateEntities } from '../online-cache';
import { loadSourceFile } from '../sources/catalog';
import { validateSourceDefinition, type ResolvedSource, type SourceDefinition } from '../sources/definition';
import { createSourceAgent, fetchPage } from '../sources/http';
import { getPath, nextPage, pageKey, pageUrl, type PageRef, type RunParams } from '../sources/pagination';
import { acquireRequestSlot } from '../sources/rate-limit';
import { compileMapping, type FeatureRow } from '../sources/records';
import type { ActivityDeps } from './deps';
import { writePage, type DeadLetter, type WriteMethod } from './feature-store';

export interface LoadSourceDefinitionInput {
  source: string;
}

export interface LoadSourceDefinitionOutput {
  definition: ResolvedSource;
}

/** Counts of a stretch of pages; they add up across activities and continue-as-new. */
export interface IngestCounts {
  pages: number;
  recordsSeen: number;
  recordsWritten: number;
  deadLetters: number;
  /** records whose (entity id, event time) repeated within their page: merged, last one wins */
  duplicatesMerged: number;
  /** latest event time written (ISO-8601), or null */
  maxEventTime: string | null;
}

export interface IngestPagesInput {
  source: ResolvedSource;
  /** the first page to fetch */
  start: PageRef;
  /** fetch at most this many pages (start.index … start.index + maxPages - 1) */
  maxPages: number;
  params: RunParams;
  /** how rows reach PostgreSQL. @default 'copy' */
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

export function emptyCounts(): IngestCounts {
  return { pages: 0, recordsSeen: 0, recordsWritten: 0, deadLetters: 0, duplicatesMerged: 0, maxEventTime: null };
}

interface FetchedPage {
  ref: PageRef;
  records: unknown[];
  next: PageRef | null;
}

export function createSourceApiActivities({ pool, redis, config }: ActivityDeps) {
  const agent = createSourceAgent();

  /** Resolves `{ env }` headers from the worker's environment. The values never leave this process. */
  function resolveHeaders(source: ResolvedSource): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(source.headers)) {
      if (typeof value === 'string') headers[name] = value;
      else {
        const secret = readSecretEnv(value.env);
        if (secret === undefined) {
          throw ApplicationFailure.nonRetryable(`${source.name}.headers.${name}.env=${JSON.stringify(value.env)} is invalid: the environment variable is not set on the worker`, FailureType.Config);
        }
        headers[name] = `${value.prefix ?? ''}${secret}`;
      }
    }
    return headers;
  }

  async function fetchOne(source: ResolvedSource, headers: Record<string, string>, ref: PageRef, params: RunParams, waits: { ms: number }): Promise<FetchedPage> {
    const signal = Context.current().cancellationSignal;
    if (source.rateLimit) waits.ms += await acquireRequestSlot(redis, source.name, source.rateLimit, signal);
    const url = pageUrl(source, ref, params);
    const outcome = await fetchPage(agent, url, headers, source.requestTimeoutMs ?? config.ingest.requestTimeoutMs, signal);
    if (outcome.kind === 'fatal') {
      throw ApplicationFailure.nonRetryable(`GET ${url} answered ${outcome.reason} (not retried: a ${outcome.status} will not change)`, FailureType.SourceHttp, { status: outcome.status, url });
    }
    if (outcome.kind === 'retry') {
      // Retry-After, when given, replaces the backoff of the retry policy for this attempt.
      throw ApplicationFailure.create({
        message: `GET ${url} failed: ${outcome.reason}`,
        type: FailureType.SourceHttp,
        details: [{ status: outcome.status ?? null, url }],
        nextRetryDelay: outcome.retryAfterMs,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(outcome.text);
    } catch (err) {
      // Usually a connection cut mid-body behind a proxy: retryable. A source that always sends
      // broken JSON exhausts the retry policy and fails the run naming the URL.
      throw ApplicationFailure.retryable(`GET ${url} returned ${outcome.text.length} characters that are not valid JSON (truncated?): ${(err as Error).message}`, FailureType.SourcePage);
    }
    const records = getPath(body, source.recordsPath);
    if (!Array.isArray(records)) {
      throw ApplicationFailure.retryable(`GET ${url} returned no record array at recordsPath=${JSON.stringify(source.recordsPath)}`, FailureType.SourcePage);
    }
    return { ref, records, ...nextPage(source, ref, records.length, body, outcome.link) };
  }

  return {
    /** Reads `<source>.json` from INGEST_SOURCES_DIR and validates it. */
    async loadSourceDefinition({ source }: LoadSourceDefinitionInput): Promise<LoadSourceDefinitionOutput> {
      try {
        return { definition: await loadSourceFile(config.ingest.sourcesDir, source) };
      } catch (err) {
        if (err instanceof ValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Validation, { field: err.field });
        throw err;
      }
    },

    /** Fetches and writes up to `maxPages` pages from `start`; returns counts and the next page. */
    async ingestPages(input: IngestPagesInput): Promise<IngestPagesOutput> {
      // Re-validate: the activity is the last line before I/O, and a definition from history may predate a fix.
      let source: ResolvedSource;
      try {
        source = validateSourceDefinition(input.source as SourceDefinition);
      } catch (err) {
        if (err instanceof ValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Validation, { field: err.field });
        throw err;
      }
      const info = activityInfo();
      // dead letters and lineage are keyed by the ingest run's workflow id (stable across continue-as-new)
      const workflowId = info.workflowExecution?.workflowId ?? `activity-${info.activityId}`;
      const runId = info.workflowExecution?.runId ?? '';
      const headers = resolveHeaders(source);
      const map = compileMapping(source.mapping);
      const limit = input.start.index + input.maxPages;
      const waits = { ms: 0 };

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
          const p = fetchOne(source, headers, ref, input.params, waits);
          p.catch(() => {}); // awaited below; this only keeps an early rejection from being "unhandled"
          return p;
        };
        let fetching = fetchNext(progress.next);
        while (fetching) {
          const page = await fetching;
          fetching = fetchNext(page.next); // prefetch while this page is written
          const key = pageKey(source, page.ref) + runSuffix(input.params);
          const { rows, deadLetters, duplicates, maxEventTime } = mapPage(page.records, map);
          const client = await pool.connect();
          try {
            await writePage(client, { source: source.name, featureSet: source.mapping.featureSet, workflowId, runId, page: key, rows, deadLetters }, input.writeMethod);
          } finally {
            client.release();
          }
          // After the commit: a reader that refills in between gets the new row anyway.
          await invalidateEntities(redis, source.mapping.featureSet, uniqueEntities(rows));
          progress.pages += 1;
          progress.recordsSeen += page.records.length;
          progress.recordsWritten += rows.length;
          progress.deadLetters += deadLetters.length;
          progress.duplicatesMerged += duplicates;
          if (maxEventTime && (!progress.maxEventTime || maxEventTime > progress.maxEventTime)) progress.maxEventTime = maxEventTime;
          progress.next = page.next;
          progress.lastPage = key;
          progress.rateLimitWaitMs = waits.ms;
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

/** Validates a page's records; de-duplicates valid rows on (entity id, event time), last one wins. */
function mapPage(records: unknown[], map: ReturnType<typeof compileMapping>): { rows: FeatureRow[]; deadLetters: DeadLetter[]; duplicates: number; maxEventTime: string | null } {
  const byKey = new Map<string, FeatureRow>();
  const deadLetters: DeadLetter[] = [];
  let maxEventTime: string | null = null;
  let duplicates = 0;
  for (let i = 0; i < records.length; i++) {
    const mapped = map(records[i]);
    if (!mapped.ok) {
      deadLetters.push({ index: i, raw: records[i], reason: mapped.reason });
      continue;
    }
    const row = mapped.row;
    const key = `${row.entityId}\u0000${row.eventTime}`;
    if (byKey.has(key)) {
      duplicates++;
      byKey.delete(key); // re-insert so the map keeps the last record's position
    }
    byKey.set(key, row);
    // ISO-8601 UTC strings from toISOString() compare correctly as text
    if (maxEventTime === null || row.eventTime > maxEventTime) maxEventTime = row.eventTime;
  }
  return { rows: [...byKey.values()], deadLetters, duplicates, maxEventTime };
}

function* uniqueEntities(rows: FeatureRow[]): Generator<string> {
  const seen = new Set<string>();
  for (const row of rows) {
    if (!seen.has(row.entityId)) {
      seen.add(row.entityId);
      yield row.entityId;
    }
  }
}

/** Dead-letter keys of an incremental or windowed run name its filter: the same page number means other records. */
function runSuffix(params: RunParams): string {
  return `${params.since ? ` since=${params.since}` : ''}${params.window ? ` window=${params.window.start}/${params.window.end}` : ''}`;
}
