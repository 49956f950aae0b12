/**
 * One page of a source, from request to rows: the rate-limit slot, the destination check, the GET,
 * the body's record array and the next page's ref; then each record mapped to a feature row or a
 * dead letter. The activity (src/activities/source-api.ts) strings pages together and writes them.
 *
 * No page can stall a source: a page that is not the JSON the definition describes (not JSON, no
 * record array) is fetched again a few times (`badPages.retries`), then becomes a
 * whole-page dead letter and the run moves on (or fails, with `badPages.action: 'fail'`); a page over
 * the byte cap or whose parse would not fit the heap (page-budget.ts) is that dead letter at once; a numbered
 * page past the end that answers 404 or 400 ends the listing; a record PostgreSQL cannot store (a NUL
 * character, a lone surrogate) is a dead letter.
 */
import { ApplicationFailure } from '@temporalio/common';
import type Redis from 'ioredis';
import type { Agent } from 'undici';
import { unstorableJson, unstorableText, type DeadLetter, type FeatureRow } from '../feature-store/rows';
import { FailureType } from '../shared/errors';
import { getPath } from '../shared/json-path';
import { nextPage, pageUrl, type PageLinks, type PageRef, type RunParams } from '../shared/pagination';
import { isParallelStyle, type ResolvedSource } from '../shared/source-definition';
import type { DestinationPolicy } from '../http/destinations';
import { checkDestination } from './destinations';
import { fetchPage, type FetchLimits } from './http';
import { overHeapBudget } from './page-budget';
import { acquireRequestSlot } from './rate-limit';
import type { RecordMapper } from './records';
import { checkSecretOrigins, secretParamNames, withoutParams, withSecretParams, type ResolvedSecrets } from './secrets';
import { sleep } from './sleep';

export interface FetchedPage extends PageLinks {
  ref: PageRef;
  /** the page's records; empty for a whole-page dead letter */
  records: unknown[];
  /** set when the page was not the JSON described: it is one dead letter (record_index -1) */
  badPage?: DeadLetter;
  /** a numbered page past the end that answered 404 or 400 */
  pastEnd?: boolean;
}

export interface FetchSourcePageOptions extends Omit<FetchLimits, 'signal'> {
  agent: Agent;
  redis: Redis;
  secrets: ResolvedSecrets;
  /** origins the source's requests may go to (sourceOrigins) */
  origins: Set<string>;
  /** the non-public addresses it may reach (sourceDestinationPolicy) */
  destinations: DestinationPolicy;
  signal?: AbortSignal;
  /** adds the time spent waiting for the shared rate limit, ms */
  onRateLimitWait?: (ms: number) => void;
  /** heap bytes per byte of JSON assumed for a page's parse (INGEST_JSON_EXPANSION) */
  jsonExpansion: number;
  /** pause before fetching a bad page again (attempt 0, 1, …), ms. @default 1 s doubling, at most 30 s */
  badPageBackoffMs?: (attempt: number) => number;
}

/** The most of a bad page's text kept in its dead letter. */
export const BAD_PAGE_TEXT_LIMIT = 64 * 1024;

/**
 * Fetches page `ref`. A 4xx other than 408/429 is final (a non-retryable SourceHttpError naming the
 * URL), except 404/400 on a numbered page after the first (the end of the listing); a 429/5xx/timeout
 * is retryable, honouring Retry-After. Secret query parameters are added to the request URL only:
 * every URL in a message, a ref or a dead letter is without them.
 */
export async function fetchSourcePage(
  source: ResolvedSource,
  ref: PageRef,
  params: RunParams,
  options: FetchSourcePageOptions,
): Promise<FetchedPage> {
  const url = pageUrl(source, ref, params);
  const what =
    ref.cursor !== undefined && (source.pagination.style === 'link' || source.pagination.style === 'next-url')
      ? "the next page's URL"
      : "the source's URL";
  checkDestination(url, options.origins, options.destinations, what);
  checkSecretOrigins(url, options.secrets, what);
  const bad = source.badPages ?? { retries: 4, action: 'dead-letter', maxDeadPages: 10 };
  const backoff = options.badPageBackoffMs ?? ((attempt: number) => Math.min(30_000, 1000 * 2 ** attempt));
  for (let attempt = 0; ; attempt++) {
    if (source.rateLimit)
      options.onRateLimitWait?.(await acquireRequestSlot(options.redis, source.name, source.rateLimit, options.signal));
    const outcome = await fetchPage(
      options.agent,
      withSecretParams(url, options.secrets.query),
      options.secrets.headers,
      options,
    );
    if (outcome.kind === 'refused')
      throw ApplicationFailure.nonRetryable(`GET ${url} refused: ${outcome.reason}`, FailureType.SourceDestination, {
        url,
      });
    if (outcome.kind === 'invalid')
      throw ApplicationFailure.nonRetryable(`GET ${url} not sent: ${outcome.reason}`, FailureType.InvalidRequest, {
        url,
      });
    if (outcome.kind === 'fatal') {
      if (
        (outcome.status === 404 || outcome.status === 400) &&
        isParallelStyle(source.pagination.style) &&
        ref.index > 0
      ) {
        // Numbered styles fetch ahead: a page past the last may be "not found" rather than empty.
        return { ref, records: [], next: null, pastEnd: true };
      }
      throw ApplicationFailure.nonRetryable(
        `GET ${url} answered ${outcome.reason} (not retried: a ${outcome.status} will not change)`,
        FailureType.SourceHttp,
        { status: outcome.status, url },
      );
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
    let problem: string;
    let text: string;
    let body: unknown;
    let header: (name: string) => string | undefined = () => undefined;
    let retryable = true;
    let overBudget: string | undefined;
    if (outcome.kind === 'too-large') {
      problem = `answered a body of ${outcome.bytes} bytes or more, over maxPageBytes=${options.maxBytes} (request fewer records per page)`;
      text = outcome.head;
      retryable = false;
    } else if ((overBudget = overHeapBudget(outcome.bytes, options.jsonExpansion))) {
      // a retry would fetch the same page into the same heap: a dead letter at once
      problem = overBudget;
      text = outcome.text.slice(0, BAD_PAGE_TEXT_LIMIT);
      header = outcome.header;
      retryable = false;
    } else {
      text = outcome.text;
      header = outcome.header;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (body === undefined) problem = `returned ${text.length} characters that are not valid JSON (truncated?)`;
      else {
        const records = getPath(body, source.recordsPath);
        if (Array.isArray(records))
          return { ref, records, ...safeNext(source, nextPage(source, ref, { records, body, header })) };
        problem = `returned no record array at recordsPath=${JSON.stringify(source.recordsPath)}`;
      }
    }
    if (retryable && attempt < bad.retries) {
      await sleep(backoff(attempt), options.signal);
      continue;
    }
    const tries = retryable ? ` (${attempt + 1} ${attempt === 0 ? 'try' : 'tries'})` : '';
    if (bad.action === 'fail')
      throw ApplicationFailure.nonRetryable(`GET ${url} ${problem}${tries}`, FailureType.SourcePage, { url });
    const kept = text.length > BAD_PAGE_TEXT_LIMIT ? text.slice(0, BAD_PAGE_TEXT_LIMIT) : text;
    const reason = `page: GET ${url} ${problem}${tries}; the whole page is this dead letter${text.length > kept.length ? ` (raw: its first ${kept.length} of ${text.length} characters)` : ''}`;
    return {
      ref,
      records: [],
      badPage: { index: -1, raw: kept, reason },
      ...safeNext(source, nextPage(source, ref, { records: undefined, body, header })),
    };
  }
}

/** The next ref without the secret query parameters a source may echo into its next links. */
function safeNext(source: ResolvedSource, links: PageLinks): PageLinks {
  const secret = secretParamNames(source);
  if (!links.next?.cursor || secret.length === 0) return links;
  const style = (links.detected ?? source.pagination).style;
  if (style !== 'link' && style !== 'next-url') return links;
  return { ...links, next: { ...links.next, cursor: withoutParams(links.next.cursor, secret) } };
}

export interface MappedPage {
  rows: FeatureRow[];
  deadLetters: DeadLetter[];
  duplicates: number;
  maxEventTime: string | null;
}

/**
 * Validates a page's records; de-duplicates valid rows on (entity id, event time), last one wins. A
 * row PostgreSQL could not store (a NUL or a lone surrogate in its id or features) is a dead letter:
 * one such record must not fail its page on every retry and every later run.
 */
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
    row.json = JSON.stringify(row.features);
    if (unstorableText(row.entityId) || unstorableJson(row.json)) {
      deadLetters.push({
        index: i,
        raw: records[i],
        reason:
          'record: holds a NUL character (\\u0000) or a lone UTF-16 surrogate in its entity id or features, which PostgreSQL cannot store',
      });
      continue;
    }
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
