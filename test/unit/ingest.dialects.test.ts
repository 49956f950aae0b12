/**
 * Pagination dialects without a server: the next page each dialect's response leads to, the stop
 * conditions, detection of an undeclared pagination, JSON Pointer paths and query parameter names
 * such as `$skip`. (test/stack/ingest.dialects.test.ts runs each dialect against a real HTTP server.)
 */
import { describe, expect, it } from 'vitest';
import { getPath, pathKeys } from '../../src/shared/json-path';
import { detectPagination, nextPage, pageUrl, type PageResponse } from '../../src/shared/pagination';
import { validateSourceDefinition, type SourceDefinition } from '../../src/shared/source-definition';

const mapping: SourceDefinition['mapping'] = {
  featureSet: 'fs',
  entityIdPath: 'id',
  eventTimePath: 't',
  features: { a: { type: 'number' } },
};
const source = (pagination: SourceDefinition['pagination'], extra: Partial<SourceDefinition> = {}) =>
  validateSourceDefinition({
    name: 's',
    url: 'https://api.example.com/v1/items?x=1',
    pagination,
    mapping,
    pageSize: 2,
    ...extra,
  });
const response = (
  body: unknown,
  records: unknown[] | undefined,
  headers: Record<string, string> = {},
): PageResponse => ({ body, records, header: (n) => headers[n] });

describe('JSON paths', () => {
  it('reads dotted paths and RFC 6901 pointers (keys with dots, @, $, / and ~)', () => {
    const doc = {
      '@odata.nextLink': 'n',
      _links: { next: { href: 'h' } },
      'a/b': { '~c': 1 },
      $skip: 2,
      items: [{ id: 7 }],
    };
    expect(getPath(doc, '/@odata.nextLink')).toBe('n');
    expect(getPath(doc, '_links.next.href')).toBe('h');
    expect(getPath(doc, '/a~1b/~0c')).toBe(1);
    expect(getPath(doc, '$skip')).toBe(2);
    expect(getPath(doc, 'items.0.id')).toBe(7);
    expect(getPath(doc, '/items/0/id')).toBe(7);
    expect(pathKeys('')).toEqual([]);
  });
});

describe('dialects', () => {
  it('OData: $skip/$top parameters and @odata.nextLink', () => {
    const s = source({ style: 'next-url', nextUrlPath: '/@odata.nextLink', sizeParam: '$top' });
    expect(pageUrl(s, { index: 0 }, {})).toBe('https://api.example.com/v1/items?x=1&%24top=2');
    const offset = source({ style: 'offset', offsetParam: '$skip', sizeParam: '$top', totalPath: '/@odata.count' });
    expect(pageUrl(offset, { index: 3 }, {})).toBe('https://api.example.com/v1/items?x=1&%24skip=6&%24top=2');
    expect(nextPage(offset, { index: 2 }, response({ '@odata.count': 6, value: [1, 2] }, [1, 2])).next).toBeNull();
    const next = nextPage(
      s,
      { index: 0 },
      response({ '@odata.nextLink': 'items?$skiptoken=abc', value: [1, 2] }, [1, 2]),
    ).next;
    expect(next).toEqual({ index: 1, cursor: 'https://api.example.com/v1/items?$skiptoken=abc', seen: 2 });
    expect(nextPage(s, next!, response({ value: [1] }, [1])).next).toBeNull();
  });

  it('Stripe: starting_after from the last record, until has_more is false', () => {
    const s = source({
      style: 'cursor',
      cursorParam: 'starting_after',
      cursorFromLastRecord: 'id',
      hasMorePath: 'has_more',
    });
    const first = nextPage(
      s,
      { index: 0 },
      response({ has_more: true, data: [{ id: 'cus_1' }, { id: 'cus_2' }] }, [{ id: 'cus_1' }, { id: 'cus_2' }]),
    ).next;
    expect(first).toEqual({ index: 1, cursor: 'cus_2', seen: 2 });
    expect(pageUrl(s, first!, {})).toBe('https://api.example.com/v1/items?x=1&starting_after=cus_2&limit=2');
    expect(
      nextPage(s, first!, response({ has_more: false, data: [{ id: 'cus_3' }] }, [{ id: 'cus_3' }])).next,
    ).toBeNull();
  });

  it('a cursor in a response header; an empty page stops', () => {
    const s = source({ style: 'cursor', cursorHeader: 'X-Next-Cursor' });
    expect(nextPage(s, { index: 0 }, response({ data: [1, 2] }, [1, 2], { 'x-next-cursor': 'c2' })).next).toMatchObject(
      { cursor: 'c2' },
    );
    expect(nextPage(s, { index: 0 }, response({ data: [] }, [], { 'x-next-cursor': 'c2' })).next).toBeNull();
  });

  it('HAL and JSON:API next links (a string or a link object), Salesforce done flag', () => {
    const hal = source({ style: 'next-url', nextUrlPath: '_links.next.href' });
    expect(
      nextPage(hal, { index: 0 }, response({ _links: { next: { href: '/v1/items?page=2' } } }, [1, 2])).next?.cursor,
    ).toBe('https://api.example.com/v1/items?page=2');
    const jsonapi = source({ style: 'next-url', nextUrlPath: 'links.next' });
    expect(
      nextPage(
        jsonapi,
        { index: 0 },
        response({ links: { next: { href: 'https://api.example.com/v1/items?page%5Bnumber%5D=2' } } }, [1, 2]),
      ).next?.cursor,
    ).toContain('page%5Bnumber%5D=2');
    expect(nextPage(jsonapi, { index: 0 }, response({ links: { next: null } }, [1, 2])).next).toBeNull();
    const sf = source({ style: 'next-url', nextUrlPath: 'nextRecordsUrl', donePath: 'done' });
    expect(nextPage(sf, { index: 0 }, response({ done: true, nextRecordsUrl: '/x' }, [1, 2])).next).toBeNull();
    expect(
      nextPage(
        sf,
        { index: 0 },
        response({ done: false, nextRecordsUrl: '/services/data/v60.0/query/01g-2000' }, [1, 2]),
      ).next?.cursor,
    ).toBe('https://api.example.com/services/data/v60.0/query/01g-2000');
  });

  it('a total count ends a sequential source once reached', () => {
    const s = source({ style: 'link', totalPath: 'total' });
    const headers = { link: '<https://api.example.com/v1/items?page=3>; rel="next"' };
    expect(
      nextPage(
        s,
        { index: 1, cursor: 'https://api.example.com/v1/items?page=2', seen: 2 },
        response({ total: 5 }, [1, 2], headers),
      ).next,
    ).not.toBeNull();
    expect(
      nextPage(
        s,
        { index: 2, cursor: 'https://api.example.com/v1/items?page=3', seen: 4 },
        response({ total: 5 }, [1], headers),
      ).next,
    ).toBeNull();
  });

  it('detects the dialect of a first response when none is declared', () => {
    expect(detectPagination(response({}, [], { link: '<https://x/y?page=2>; rel="next"' }), undefined)).toMatchObject({
      style: 'link',
    });
    expect(
      detectPagination(response({ '@odata.nextLink': 'https://x/y?$skip=2', value: [] }, []), undefined),
    ).toMatchObject({ style: 'next-url', nextUrlPath: '/@odata.nextLink' });
    expect(detectPagination(response({ _links: { next: { href: '/y?page=2' } } }, []), undefined)).toMatchObject({
      style: 'next-url',
      nextUrlPath: '/_links/next/href',
    });
    expect(detectPagination(response({ done: false, nextRecordsUrl: '/q/01g-2' }, []), undefined)).toMatchObject({
      style: 'next-url',
      nextUrlPath: '/nextRecordsUrl',
      donePath: '/done',
    });
    expect(detectPagination(response({ has_more: true, data: [{ id: 'a' }] }, [{ id: 'a' }]), 'limit')).toMatchObject({
      style: 'cursor',
      cursorParam: 'starting_after',
      cursorFromLastRecord: '/id',
      sizeParam: 'limit',
    });
    expect(detectPagination(response({ next_cursor: 'abc' }, []), undefined)).toMatchObject({
      style: 'cursor',
      nextCursorPath: '/next_cursor',
    });
    expect(detectPagination(response({ data: [] }, []), undefined)).toBeNull();
    const auto = validateSourceDefinition({ name: 's', url: 'https://api.example.com/v1/items', mapping });
    expect(auto.pagination).toEqual({ style: 'auto' });
    const links = nextPage(
      auto,
      { index: 0 },
      response({ '@odata.nextLink': 'https://api.example.com/v1/items?$skip=2', value: [1] }, [1]),
    );
    expect(links.detected).toMatchObject({ style: 'next-url' });
    expect(links.next?.cursor).toBe('https://api.example.com/v1/items?$skip=2');
  });

  it('a whole-page dead letter moves numbered styles on and ends body-driven ones', () => {
    expect(nextPage(source({ style: 'offset' }), { index: 4 }, response(undefined, undefined)).next).toEqual({
      index: 5,
    });
    expect(
      nextPage(source({ style: 'next-url', nextUrlPath: 'next' }), { index: 0 }, response(undefined, undefined)).next,
    ).toBeNull();
    expect(
      nextPage(
        source({ style: 'link' }),
        { index: 0 },
        response(undefined, undefined, { link: '</v1/items?page=2>; rel="next"' }),
      ).next?.cursor,
    ).toBe('https://api.example.com/v1/items?page=2');
  });
});
