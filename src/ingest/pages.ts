/**
 * One page of a source, from request to rows: the rate-limit slot, the GET, the body's record array
 * and the next page's ref; then each record mapped to a feature row or a dead letter. The activity
 * (src/activities/source-api.ts) strings pages together and writes them.
 */
import { ApplicationFailure } from '@temporalio/common';
import type Redis from 'ioredis';
import type { Agent } from 'undici';
import { readSecretEnv } from '../config';
import type { DeadLetter } from '../feature-store/page-writer';
import { ConfigError, FailureType } from '../shared/errors';
import { getPath, nextPage, pageUrl, type PageRef, type RunParams } from '../shared/pagination';
import type { ResolvedSource } from '../shared/source-definition';
import { fetchPage } from './http';
import { acquireRequestSlot } from './rate-limit';
import type { FeatureRow, RecordMapper } from './records';

export interface FetchedPage {
  ref: PageRef;
  records: unknown[];
  next: PageRef | null;
}

/** Resolves `{ env }` headers from the worker's environment. The values never leave this process. */
export function resolveHeaders(source: ResolvedSource): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(source.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else {
      const secret = readSecretEnv(value.env);
      if (secret === undefined) throw new ConfigError(`${source.name}.headers.${name}.env`, value.env, 'an environment variable that is set on the worker');
      headers[name] = `${value.prefix ?? ''}${secret}`;
    }
  }
  return headers;
}

export interface FetchSourcePageOptions {
  agent: Agent;
  redis: Redis;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** adds the time spent waiting for the shared rate limit, ms */
  onRateLimitWait?: (ms: number) => void;
}

/**
 * Fetches page `ref`. A 4xx other than 408/429 is final (a non-retryable SourceHttpError naming the
 * URL); a 429/5xx/timeout is retryable, honouring Retry-After; a body that is not the JSON the
 * definition describes is retryable too (usually a connection cut mid-body behind a proxy; a source
 * that always sends it exhausts the retry policy and fails the run naming the URL).
 */
export async function fetchSourcePage(source: ResolvedSource, ref: PageRef, params: RunParams, options: FetchSourcePageOptions): Promise<FetchedPage> {
  if (source.rateLimit) options.onRateLimitWait?.(await acquireRequestSlot(options.redis, source.name, source.rateLimit, options.signal));
  const url = pageUrl(source, ref, params);
  const outcome = await fetchPage(options.agent, url, options.headers, options.timeoutMs, options.signal);
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
    throw ApplicationFailure.retryable(`GET ${url} returned ${outcome.text.length} characters that are not valid JSON (truncated?): ${(err as Error).message}`, FailureType.SourcePage);
  }
  const records = getPath(body, source.recordsPath);
  if (!Array.isArray(records)) {
    throw ApplicationFailure.retryable(`GET ${url} returned no record array at recordsPath=${JSON.stringify(source.recordsPath)}`, FailureType.SourcePage);
  }
  return { ref, records, ...nextPage(source, ref, records.length, body, outcome.link) };
}

export interface MappedPage {
  rows: FeatureRow[];
  deadLetters: DeadLetter[];
  duplicates: number;
  maxEventTime: string | null;
}

/** Validates a page's records; de-duplicates valid rows on (entity id, event time), last one wins. */
export function mapPage(records: unknown[], map: RecordMapper): MappedPage {
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

export function* uniqueEntities(rows: FeatureRow[]): Generator<string> {
  const seen = new Set<string>();
  for (const row of rows) {
    if (!seen.has(row.entityId)) {
      seen.add(row.entityId);
      yield row.entityId;
    }
  }
}

/** The dead-letter key of a page: its pageKey, plus the run's filter (the same page number means other records then). */
export function deadLetterPageKey(pageKeyText: string, params: RunParams): string {
  return `${pageKeyText}${params.since ? ` since=${params.since}` : ''}${params.window ? ` window=${params.window.start}/${params.window.end}` : ''}`;
}
