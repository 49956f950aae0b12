/**
 * Pagination: where a page is (a PageRef), the URL that fetches it, and where the next one is.
 *
 * Workflow-safe (no Node imports): the workflow keeps PageRefs as its checkpoint. URL building uses
 * the global WHATWG URL and runs only in activities.
 *
 * - page / offset: page `index` alone locates the page, so several pages can be in flight at once.
 * - cursor / link: the next page is known only from the previous response, so pages follow each other;
 *   the ref carries the cursor (or the absolute next URL) the source handed out.
 */
import type { ResolvedSource } from './source-definition';

/** Where a page is. Small and JSON-safe: it is the cursor the workflow checkpoints. */
export interface PageRef {
  /** 0-based ordinal of the page within this ingest run (page and offset styles derive the request from it) */
  index: number;
  /** cursor style: the cursor to send (absent on the first page); link style: the absolute URL of the page */
  cursor?: string;
}

/** What a fetched page says about the next one. */
export interface PageLinks {
  /** the next page, or null when this page was the last */
  next: PageRef | null;
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
  }
}

/** The URL that fetches page `ref`. */
export function pageUrl(source: ResolvedSource, ref: PageRef, params: RunParams): string {
  const p = source.pagination;
  // A link-style next URL is used as the source gave it: it already carries every parameter.
  if (p.style === 'link' && ref.cursor !== undefined) return new URL(ref.cursor, source.url).href;
  const url = new URL(source.url);
  const set = (name: string, value: string | number) => url.searchParams.set(name, String(value));
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
 * The next page after `ref`, from the response. Numbered styles end on a short page; cursor style
 * ends when the next cursor is missing, null or '' (or repeats: a source stuck on one cursor would
 * loop forever); link style ends without a rel="next" link.
 */
export function nextPage(source: ResolvedSource, ref: PageRef, recordCount: number, body: unknown, linkHeader: string | undefined): PageLinks {
  const p = source.pagination;
  switch (p.style) {
    case 'page':
    case 'offset':
      return { next: recordCount < source.pageSize ? null : { index: ref.index + 1 } };
    case 'cursor': {
      const raw = getPath(body, p.nextCursorPath ?? 'next_cursor');
      const cursor = raw === null || raw === undefined ? '' : String(raw);
      return { next: cursor === '' || cursor === ref.cursor ? null : { index: ref.index + 1, cursor } };
    }
    case 'link': {
      const next = parseLinkHeader(linkHeader).next;
      return { next: next === undefined ? null : { index: ref.index + 1, cursor: ref.cursor ? new URL(next, ref.cursor).href : new URL(next, source.url).href } };
    }
  }
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
      const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      for (const rel of value.split(/\s+/)) if (rel && links[rel.toLowerCase()] === undefined) links[rel.toLowerCase()] = target;
    }
  }
  return links;
}

/** Reads a dotted path (`a.b.0.c`) from parsed JSON; '' is the value itself. */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
