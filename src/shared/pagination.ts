/**
 * Pagination: where a page is (a PageRef), the URL that fetches it, and where the next one is.
 *
 * Workflow-safe (no Node imports): the workflow keeps PageRefs as its checkpoint. URL building uses
 * the global WHATWG URL and runs only in activities.
 *
 * - page / offset: page `index` alone locates the page, so several pages can be in flight at once.
 * - cursor / next-url / link: the next page is known only from the previous response, so pages follow
 *   each other; the ref carries the cursor (or the absolute next URL) the source handed out.
 * - auto: the first response decides which of those the source speaks (`detectPagination`).
 * Every style also stops on the definition's stop conditions: an empty page, a has-more flag that is
 * false, a done flag that is true, or a total count reached.
 */
import { getPath } from './json-path';
import type { Pagination, ResolvedSource } from './source-definition';

export { getPath } from './json-path';

/** Where a page is. Small and JSON-safe: it is the cursor the workflow checkpoints. */
export interface PageRef {
  /** 0-based ordinal of the page within this ingest run (page and offset styles derive the request from it) */
  index: number;
  /** cursor style: the cursor to send (absent on the first page); link and next-url styles: the absolute URL of the page */
  cursor?: string;
  /** sequential styles: records read before this page (for a total-count stop) */
  seen?: number;
}

/** What a fetched page says about the next one. */
export interface PageLinks {
  /** the next page, or null when this page was the last */
  next: PageRef | null;
  /** auto style: the pagination the first response showed (later pages use it) */
  detected?: Pagination;
}

/** What nextPage reads from a response. */
export interface PageResponse {
  /** the page's records; undefined when the page was not the JSON described (a whole-page dead letter) */
  records: unknown[] | undefined;
  /** the parsed body (undefined when it was not JSON) */
  body: unknown;
  /** a response header by lower-case name */
  header: (name: string) => string | undefined;
}

/** Extra query parameters of an ingest run, sent with the first request (page/offset: with every request). */
export interface RunParams {
  /** incremental watermark: only records after this event time (ISO-8601) */
  since?: string;
  window?: { start: string; end: string };
}

/** A stable, readable name for a page, e.g. `offset=300` or `cursor=abc`: the dead-letter key. */
export function pageKey(source: ResolvedSource, ref: PageRef): string {
  const p = source.pagination;
  switch (p.style) {
    case 'page':
      return `page=${(p.firstPage ?? 1) + ref.index}`;
    case 'offset':
      return `offset=${ref.index * source.pageSize}`;
    case 'cursor':
      return ref.cursor === undefined ? 'cursor=(first)' : `cursor=${ref.cursor}`;
    case 'link':
      return ref.cursor ?? 'link=(first)';
    case 'next-url':
      return ref.cursor ?? 'next-url=(first)';
    case 'auto':
      return 'auto=(first)';
  }
}

/** What a run's summary calls the pagination, e.g. `next-url at /@odata.nextLink`. */
export function describePagination(p: Pagination): string {
  const stops = [
    p.style !== 'auto' && p.hasMorePath ? `until ${p.hasMorePath} is false` : '',
    p.style !== 'auto' && p.donePath ? `until ${p.donePath} is true` : '',
    p.style !== 'auto' && p.totalPath ? `up to the total at ${p.totalPath}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const tail = stops ? `, ${stops}` : '';
  switch (p.style) {
    case 'cursor': {
      const from = p.cursorHeader
        ? `header ${p.cursorHeader}`
        : p.cursorFromLastRecord
          ? `last record's ${p.cursorFromLastRecord}`
          : `body ${p.nextCursorPath ?? 'next_cursor'}`;
      return `cursor ${p.cursorParam ?? 'cursor'} from the ${from}${tail}`;
    }
    case 'next-url':
      return `next-url at ${p.nextUrlPath}${tail}`;
    case 'link':
      return `link (RFC 8288 rel="next")${tail}`;
    case 'page':
      return `page ?${p.pageParam ?? 'page'}=N${tail}`;
    case 'offset':
      return `offset ?${p.offsetParam ?? 'offset'}=N${tail}`;
    case 'auto':
      return 'auto';
  }
}

/** The URL that fetches page `ref` (without secret query parameters: the activity adds those at request time). */
export function pageUrl(source: ResolvedSource, ref: PageRef, params: RunParams): string {
  const p = source.pagination;
  // A next URL is used as the source gave it: it already carries every parameter.
  if ((p.style === 'link' || p.style === 'next-url') && ref.cursor !== undefined)
    return new URL(ref.cursor, source.url).href;
  const url = new URL(source.url);
  const set = (name: string | false | undefined, value: string | number) => {
    if (name) url.searchParams.set(name, String(value));
  };
  for (const [name, value] of Object.entries(source.queryParams ?? {})) if (typeof value === 'string') set(name, value);
  switch (p.style) {
    case 'page':
      set(p.pageParam ?? 'page', (p.firstPage ?? 1) + ref.index);
      set(p.sizeParam ?? 'per_page', source.pageSize);
      break;
    case 'offset':
      set(p.offsetParam ?? 'offset', ref.index * source.pageSize);
      set(p.sizeParam ?? 'limit', source.pageSize);
      break;
    case 'cursor':
      if (ref.cursor !== undefined) set(p.cursorParam ?? 'cursor', ref.cursor);
      set(p.sizeParam ?? 'limit', source.pageSize);
      break;
    case 'link':
      set(p.sizeParam ?? 'per_page', source.pageSize);
      break;
    case 'next-url':
    case 'auto':
      set(p.sizeParam, source.pageSize);
      break;
  }
  // Run parameters: a cursor or next link already encodes the filtered listing, so only the first
  // request of a sequential style carries them; numbered pages need them on every request.
  const firstOfSequence = ref.cursor === undefined;
  if (firstOfSequence || p.style === 'page' || p.style === 'offset') {
    if (params.since !== undefined && source.incremental) set(source.incremental.sinceParam, params.since);
    if (params.window && source.window) {
      set(source.window.startParam, params.window.start);
      set(source.window.endParam, params.window.end);
    }
  }
  return url.href;
}

/**
 * The next page after `ref`, from the response. First the stop conditions (an empty page, a
 * has-more flag, a done flag, a total reached), then the style's own rule: numbered styles end on a
 * short page; cursor style when the next cursor is missing, null or '' (or repeats: a source stuck on
 * one cursor would loop forever); next-url and link styles without a next URL (or with the same one).
 * A whole-page dead letter (records undefined) counts as a full page: numbered styles move on, and
 * styles that read the next page from the body end, since that body could not be read.
 */
export function nextPage(source: ResolvedSource, ref: PageRef, response: PageResponse): PageLinks {
  const p = source.pagination;
  if (p.style === 'auto') {
    const detected = detectPagination(response, p.sizeParam);
    if (!detected) return { next: null };
    return { ...nextPage({ ...source, pagination: detected }, ref, response), detected };
  }
  const { records, body } = response;
  const count = records?.length ?? source.pageSize;
  const parallel = p.style === 'page' || p.style === 'offset';
  const seen = parallel ? (ref.index + 1) * source.pageSize : (ref.seen ?? 0) + count;
  const end = { next: null };
  if (records && records.length === 0 && (p.stopOnEmptyPage ?? true)) return end;
  if (body !== undefined) {
    if (p.hasMorePath && getPath(body, p.hasMorePath) !== true) return end;
    if (p.donePath && getPath(body, p.donePath) === true) return end;
    if (p.totalPath) {
      const total = Number(getPath(body, p.totalPath));
      if (Number.isFinite(total) && seen >= total) return end;
    }
  }
  const here = ref.cursor !== undefined && (p.style === 'link' || p.style === 'next-url') ? ref.cursor : source.url;
  switch (p.style) {
    case 'page':
    case 'offset':
      return { next: count < source.pageSize ? null : { index: ref.index + 1 } };
    case 'cursor': {
      let raw: unknown;
      if (p.cursorHeader) raw = response.header(p.cursorHeader.toLowerCase());
      else if (p.cursorFromLastRecord)
        raw = records && records.length ? getPath(records[records.length - 1], p.cursorFromLastRecord) : undefined;
      else if (body !== undefined) raw = getPath(body, p.nextCursorPath ?? 'next_cursor');
      const cursor = raw === null || raw === undefined || typeof raw === 'object' ? '' : String(raw);
      return { next: cursor === '' || cursor === ref.cursor ? null : { index: ref.index + 1, cursor, seen } };
    }
    case 'next-url': {
      let raw = body === undefined ? undefined : getPath(body, p.nextUrlPath);
      // JSON:API and HAL allow a link object { "href": "…" } where a URL is expected
      if (raw !== null && typeof raw === 'object' && typeof (raw as { href?: unknown }).href === 'string')
        raw = (raw as { href: string }).href;
      if (typeof raw !== 'string' || raw === '') return end;
      const next = new URL(raw, here).href;
      return { next: next === ref.cursor ? null : { index: ref.index + 1, cursor: next, seen } };
    }
    case 'link': {
      const link = parseLinkHeader(response.header('link')).next;
      if (link === undefined) return end;
      const next = new URL(link, here).href;
      return { next: next === ref.cursor ? null : { index: ref.index + 1, cursor: next, seen } };
    }
  }
}

/** Where bodies commonly put the next page's URL: OData, HAL, JSON:API, Salesforce, Graph-style `paging`, plain `next`. */
const NEXT_URL_PATHS = [
  '/@odata.nextLink',
  '/_links/next/href',
  '/links/next',
  '/nextRecordsUrl',
  '/paging/next',
  '/next',
];
/** Where bodies commonly put a next cursor, and the parameter that sends it back. */
const CURSOR_PATHS: Array<[path: string, param: string]> = [
  ['/next_cursor', 'cursor'],
  ['/meta/next_cursor', 'cursor'],
  ['/nextPageToken', 'pageToken'],
  ['/next_page_token', 'page_token'],
  ['/cursor', 'cursor'],
];

/**
 * The pagination a first response shows (dlt-style detection), or null for a single page:
 * a Link header with rel="next"; a next URL at a common body path; Stripe's `has_more` with records
 * that have an `id` (cursor `starting_after` from the last record); a next cursor at a common path.
 */
export function detectPagination(response: PageResponse, sizeParam: string | undefined): Pagination | null {
  const size = sizeParam ?? false;
  if (parseLinkHeader(response.header('link')).next !== undefined)
    return { style: 'link', sizeParam: size, stopOnEmptyPage: true };
  const { body, records } = response;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  for (const path of NEXT_URL_PATHS) {
    const value = getPath(body, path);
    const url = value !== null && typeof value === 'object' ? (value as { href?: unknown }).href : value;
    if (typeof url === 'string' && /[/?]/.test(url)) {
      const flag =
        path === '/nextRecordsUrl' && typeof getPath(body, '/done') === 'boolean' ? { donePath: '/done' } : {};
      return { style: 'next-url', nextUrlPath: path, sizeParam: size, stopOnEmptyPage: true, ...flag };
    }
  }
  const last = records?.[records.length - 1];
  if (
    typeof getPath(body, '/has_more') === 'boolean' &&
    last !== null &&
    typeof last === 'object' &&
    getPath(last, '/id') !== undefined
  ) {
    return {
      style: 'cursor',
      cursorParam: 'starting_after',
      cursorFromLastRecord: '/id',
      hasMorePath: '/has_more',
      sizeParam: size,
      stopOnEmptyPage: true,
    };
  }
  for (const [path, param] of CURSOR_PATHS) {
    const value = getPath(body, path);
    if (typeof value === 'string' && value !== '')
      return { style: 'cursor', cursorParam: param, nextCursorPath: path, sizeParam: size, stopOnEmptyPage: true };
  }
  return null;
}

/**
 * Parses an RFC 8288 Link header into rel → URI reference. Handles several links in one header,
 * several rels per link (`rel="next last"`), quoted or bare rel values, and commas inside <…>.
 */
export function parseLinkHeader(header: string | undefined): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  const linkPattern = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
  for (let match = linkPattern.exec(header); match; match = linkPattern.exec(header)) {
    const target = match[1]!;
    for (const param of match[2]!.split(';')) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      if (param.slice(0, eq).trim().toLowerCase() !== 'rel') continue;
      const value = param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      for (const rel of value.split(/\s+/))
        if (rel && links[rel.toLowerCase()] === undefined) links[rel.toLowerCase()] = target;
    }
  }
  return links;
}
