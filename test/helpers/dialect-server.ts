/**
 * Real HTTP servers (node:http) that speak the pagination dialects of public APIs, for the ingestion
 * tests: GitHub (Link header, a top-level array), Stripe (`has_more`, `starting_after=<last id>`,
 * epoch seconds), OData (`value`, `@odata.nextLink`, `$skip`/`$top`, `@odata.count`), HAL
 * (`_embedded`, `_links.next.href`, relative), JSON:API (`data[].attributes`, `links.next`,
 * `page[number]`/`page[size]`), Salesforce (`records`, `nextRecordsUrl`, `done`) and Shopify (Link
 * header with an opaque `page_info`). Record i is a pure function of i, so a re-fetched page is the
 * same page. Faults are the synthetic source's (429 + Retry-After, 503, hang, truncate, delay), plus
 * a page answered with HTML, a record with a NUL, and next links that point at another origin.
 * Written from the APIs' public documentation of their list formats; the data is generated here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Fault } from '../../src/demo/synthetic-source';
import type { SourceDefinition } from '../../src/shared/source-definition';

export const DIALECTS = ['github', 'stripe', 'odata', 'odata-skip', 'hal', 'jsonapi', 'salesforce', 'shopify'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface DialectRequest {
  /** 0-based page: first record position / page size */
  pageIndex: number;
  /** times this exact URL was requested, this one included */
  hit: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface DialectServerOptions {
  records: number;
  /** records per page the server sends when the client asks for none (Salesforce) or more */
  pageSize: number;
  entityPrefix: string;
  /** record i is invalid (no amount) when i % invalidEvery === invalidEvery - 1 */
  invalidEvery?: number;
  /** these record positions carry a NUL in their plan */
  nulRecords?: number[];
  /** these pages answer 200 with an HTML body */
  htmlPages?: number[];
  faults?: (request: DialectRequest) => Fault | undefined;
  /** next links point at this base URL (another origin) from page `fromPage` on */
  nextBase?: { url: string; fromPage: number };
  /** event-time base (ms); record i is base + i minutes */
  anchor?: number;
}

export interface DialectServer {
  dialect: Dialect;
  /** origin, e.g. http://127.0.0.1:40123 */
  base: string;
  /** the list endpoint's URL */
  url: string;
  requests: DialectRequest[];
  /** the (entity id, event time ISO) key of record i, as the feature store must hold it */
  keyOf(index: number): string;
  isInvalid(index: number): boolean;
  setFaults(hook: DialectServerOptions['faults']): void;
  close(): Promise<void>;
}

const PLANS = ['basic', 'standard', 'premium'];

export async function startDialectServer(dialect: Dialect, options: DialectServerOptions): Promise<DialectServer> {
  const anchor = options.anchor ?? Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
  const timeOf = (i: number) => anchor + i * 60_000;
  const isInvalid = (i: number) =>
    options.invalidEvery !== undefined && i % options.invalidEvery === options.invalidEvery - 1;
  const id = (i: number) => `${options.entityPrefix}${i}`;
  const plan = (i: number) => (options.nulRecords?.includes(i) ? 'bas\u0000ic' : PLANS[i % 3]!);
  const amount = (i: number) => (isInvalid(i) ? undefined : Math.round(((i * 37) % 1000) * 1.5) / 10);
  const score = (i: number) => i % 10;
  const iso = (i: number) => new Date(timeOf(i)).toISOString();

  /** record i in the dialect's shape (each with its own time format) */
  function record(i: number): unknown {
    switch (dialect) {
      case 'github':
        return {
          id: 1000 + i,
          node_id: id(i),
          login: id(i),
          updated_at: iso(i),
          plan: { name: plan(i) },
          amount: amount(i),
          score: score(i),
        };
      case 'stripe':
        // epoch seconds, as Stripe sends `created`
        return {
          id: `cus_${id(i)}`,
          object: 'customer',
          created: Math.floor(timeOf(i) / 1000),
          metadata: { plan: plan(i) },
          balance: amount(i),
          score: score(i),
        };
      case 'odata':
      case 'odata-skip':
        return {
          '@odata.etag': `W/"${i}"`,
          ID: id(i),
          ModifiedAt: iso(i),
          Plan: plan(i),
          Amount: amount(i),
          'metrics.v2': { score: score(i) },
        };
      case 'hal':
        // an event time without an offset: UTC by the definition's rules, whatever the worker's TZ
        return {
          id: id(i),
          updatedAt: iso(i).slice(0, 19),
          plan: plan(i),
          amount: amount(i),
          score: score(i),
          _links: { self: { href: `/api/customers/${i}` } },
        };
      case 'jsonapi':
        return {
          type: 'customers',
          id: id(i),
          attributes: { 'updated-at': iso(i), plan: plan(i), amount: amount(i), score: score(i) },
        };
      case 'salesforce': {
        // Salesforce's datetime: milliseconds and a +0000 offset without a colon
        const t = iso(i).replace('Z', '+0000');
        return {
          attributes: { type: 'Account', url: `/services/data/v60.0/sobjects/Account/${id(i)}` },
          Id: id(i),
          LastModifiedDate: t,
          Plan__c: plan(i),
          Amount__c: amount(i),
          Score__c: score(i),
        };
      }
      case 'shopify': {
        // an offset other than UTC
        const local = new Date(timeOf(i) - 5 * 3_600_000).toISOString().slice(0, 19);
        return {
          id: 7_000_000 + i,
          email: `${id(i)}@example.com`,
          updated_at: `${local}-05:00`,
          tags: plan(i),
          total_spent: amount(i),
          orders_count: score(i),
          handle: id(i),
        };
      }
    }
  }

  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const requests: DialectRequest[] = [];
  let faults = options.faults;
  let base = '';
  const total = options.records;

  function page(start: number, size: number): unknown[] {
    const out: unknown[] = [];
    for (let i = start; i < Math.min(total, start + size); i++) out.push(record(i));
    return out;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const num = (name: string, fallback: number) => (q.get(name) === null ? fallback : Number(q.get(name)));
    const nextBase = (pageIndex: number) =>
      options.nextBase && pageIndex + 1 >= options.nextBase.fromPage ? options.nextBase.url : base;
    let start: number;
    let size: number;
    let reply: (
      pageIndex: number,
    ) => { body: unknown; headers?: Record<string, string> } | { status: number; body: unknown };
    switch (dialect) {
      case 'github': {
        size = num('per_page', 30);
        const n = num('page', 1);
        start = (n - 1) * size;
        reply = (p) => {
          const more = start + size < total;
          const last = Math.max(1, Math.ceil(total / size));
          const link = (k: number, b = base) => `<${b}${url.pathname}?per_page=${size}&page=${k}>`;
          const parts = [
            ...(more ? [`${link(n + 1, nextBase(p))}; rel="next"`] : []),
            `${link(last)}; rel="last"`,
            `${link(1)}; rel="first"`,
          ];
          return { body: page(start, size), headers: { link: parts.join(', ') } };
        };
        break;
      }
      case 'stripe': {
        size = Math.min(100, num('limit', 10));
        const after = q.get('starting_after');
        start = after === null ? 0 : Number(after.slice(`cus_${options.entityPrefix}`.length)) + 1;
        reply = () => ({
          body: { object: 'list', url: url.pathname, has_more: start + size < total, data: page(start, size) },
        });
        break;
      }
      case 'odata':
      case 'odata-skip': {
        size = num('$top', options.pageSize);
        start = num('$skip', 0);
        reply = (p) => {
          // OData servers answer a $skip past the end with an error here: the client must take it as the end
          if (start >= total && start > 0)
            return { status: 404, body: { error: { code: 'NotFound', message: `no page at $skip=${start}` } } };
          const body: Record<string, unknown> = {
            '@odata.context': `${base}/odata/$metadata#Customers`,
            '@odata.count': total,
            value: page(start, size),
          };
          if (start + size < total)
            body['@odata.nextLink'] = `${nextBase(p)}${url.pathname}?$top=${size}&$skip=${start + size}`;
          return { body };
        };
        break;
      }
      case 'hal': {
        size = num('size', 20);
        const n = num('page', 0);
        start = n * size;
        reply = () => {
          const links: Record<string, { href: string }> = { self: { href: `${url.pathname}?page=${n}&size=${size}` } };
          if (start + size < total) links.next = { href: `${url.pathname}?page=${n + 1}&size=${size}` };
          return {
            body: {
              _embedded: { customers: page(start, size) },
              _links: links,
              page: { size, totalElements: total, number: n },
            },
          };
        };
        break;
      }
      case 'jsonapi': {
        size = num('page[size]', 10);
        const n = num('page[number]', 1);
        start = (n - 1) * size;
        reply = (p) => {
          const next =
            start + size < total
              ? `${nextBase(p)}${url.pathname}?page%5Bnumber%5D=${n + 1}&page%5Bsize%5D=${size}`
              : null;
          return { body: { data: page(start, size), links: { self: `${base}${req.url}`, next }, meta: { total } } };
        };
        break;
      }
      case 'salesforce': {
        size = options.pageSize;
        const locator = /\/query\/01gQ-(\d+)$/.exec(url.pathname);
        start = locator ? Number(locator[1]) : 0;
        reply = (p) => {
          const done = start + size >= total;
          return {
            body: {
              totalSize: total,
              done,
              ...(done
                ? {}
                : {
                    nextRecordsUrl: `${nextBase(p) === base ? '' : nextBase(p)}/services/data/v60.0/query/01gQ-${start + size}`,
                  }),
              records: page(start, size),
            },
          };
        };
        break;
      }
      case 'shopify': {
        size = Math.min(250, num('limit', 50));
        const info = q.get('page_info');
        start =
          info === null
            ? 0
            : Number(
                Buffer.from(info, 'base64url')
                  .toString()
                  .replace(/^after:/, ''),
              );
        reply = (p) => {
          const headers: Record<string, string> = {};
          const rel: string[] = [];
          if (start + size < total)
            rel.push(
              `<${nextBase(p)}${url.pathname}?limit=${size}&page_info=${Buffer.from(`after:${start + size}`).toString('base64url')}>; rel="next"`,
            );
          if (start > 0)
            rel.push(
              `<${base}${url.pathname}?limit=${size}&page_info=${Buffer.from(`after:${Math.max(0, start - size)}`).toString('base64url')}>; rel="previous"`,
            );
          if (rel.length) headers.link = rel.join(', ');
          return { body: { customers: page(start, size) }, headers };
        };
        break;
      }
    }
    const pageIndex = Math.floor(start / Math.max(1, size));
    const key = req.url ?? '';
    const hit = (hits.get(key) ?? 0) + 1;
    hits.set(key, hit);
    const request = { pageIndex, hit, url: key, headers: req.headers };
    requests.push(request);
    const fault = faults?.(request);
    if (fault?.kind === 'status')
      return send(
        res,
        fault.status,
        { error: `injected ${fault.status}` },
        fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {},
      );
    if (fault?.kind === 'hang') return;
    const answer = () => {
      if (options.htmlPages?.includes(pageIndex))
        return send(res, 200, '<html><body><h1>502 Bad Gateway</h1>\u0000</body></html>', {}, 'text/html');
      const out = reply(pageIndex);
      if ('status' in out) return send(res, out.status, out.body);
      let text = JSON.stringify(out.body);
      if (fault?.kind === 'truncate') text = text.slice(0, Math.floor(text.length / 2));
      send(res, 200, text, out.headers ?? {});
    };
    if (fault?.kind === 'delay') setTimeout(answer, fault.ms);
    else answer();
  }

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const paths: Record<Dialect, string> = {
    github: '/repos/acme/shop/customers',
    stripe: '/v1/customers',
    odata: '/odata/Customers',
    'odata-skip': '/odata/Customers',
    hal: '/api/customers',
    jsonapi: '/api/customers',
    salesforce: '/services/data/v60.0/query',
    shopify: '/admin/api/2024-10/customers.json',
  };
  return {
    dialect,
    base,
    url: `${base}${paths[dialect]}`,
    requests,
    keyOf: (i) =>
      `${dialect === 'github' ? 1000 + i : dialect === 'stripe' ? `cus_${id(i)}` : dialect === 'shopify' ? 7_000_000 + i : id(i)}|${new Date(dialect === 'stripe' ? Math.floor(timeOf(i) / 1000) * 1000 : timeOf(i)).toISOString()}`,
    isInvalid,
    setFaults: (hook) => {
      faults = hook;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The complete source definition for a dialect server: what docs/INGESTION.md shows for each API
 * (with the server's URL). `overrides` sets name, feature set, faults-related timeouts, …
 */
export function dialectDefinition(
  server: DialectServer,
  overrides: Partial<SourceDefinition> & { name: string; featureSet: string },
): SourceDefinition {
  const { featureSet, ...rest } = overrides;
  const f = (path: string, type: 'number' | 'string') => ({ path, type });
  const common = { name: rest.name, pageSize: 25, requestTimeoutMs: 1000 };
  let def: Omit<SourceDefinition, 'name'>;
  switch (server.dialect) {
    case 'github':
      def = {
        url: server.url,
        headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
        pagination: { style: 'link', sizeParam: 'per_page' },
        recordsPath: '',
        mapping: {
          featureSet,
          entityIdPath: 'id',
          eventTimePath: 'updated_at',
          features: { plan: f('plan.name', 'string'), amount: f('amount', 'number'), score: f('score', 'number') },
        },
      };
      break;
    case 'stripe':
      def = {
        url: server.url,
        pagination: {
          style: 'cursor',
          cursorParam: 'starting_after',
          cursorFromLastRecord: 'id',
          hasMorePath: 'has_more',
          sizeParam: 'limit',
        },
        recordsPath: 'data',
        mapping: {
          featureSet,
          entityIdPath: 'id',
          eventTimePath: 'created',
          eventTimeUnit: 's',
          features: { plan: f('metadata.plan', 'string'), amount: f('balance', 'number'), score: f('score', 'number') },
        },
      };
      break;
    case 'odata':
      def = {
        url: server.url,
        pagination: { style: 'next-url', nextUrlPath: '/@odata.nextLink', sizeParam: '$top' },
        recordsPath: 'value',
        mapping: {
          featureSet,
          entityIdPath: 'ID',
          eventTimePath: 'ModifiedAt',
          features: {
            plan: f('Plan', 'string'),
            amount: f('Amount', 'number'),
            score: f('/metrics.v2/score', 'number'),
          },
        },
      };
      break;
    case 'odata-skip':
      def = {
        url: `${server.url}?$count=true`,
        pagination: { style: 'offset', offsetParam: '$skip', sizeParam: '$top', totalPath: '/@odata.count' },
        recordsPath: 'value',
        maxPagesInFlight: 4,
        mapping: {
          featureSet,
          entityIdPath: 'ID',
          eventTimePath: 'ModifiedAt',
          features: {
            plan: f('Plan', 'string'),
            amount: f('Amount', 'number'),
            score: f('/metrics.v2/score', 'number'),
          },
        },
      };
      break;
    case 'hal':
      def = {
        url: server.url,
        pagination: { style: 'next-url', nextUrlPath: '/_links/next/href' },
        recordsPath: '/_embedded/customers',
        mapping: {
          featureSet,
          entityIdPath: 'id',
          eventTimePath: 'updatedAt',
          features: { plan: f('plan', 'string'), amount: f('amount', 'number'), score: f('score', 'number') },
        },
      };
      break;
    case 'jsonapi':
      def = {
        url: server.url,
        headers: { Accept: 'application/vnd.api+json' },
        pagination: { style: 'next-url', nextUrlPath: 'links.next', sizeParam: 'page[size]' },
        recordsPath: 'data',
        mapping: {
          featureSet,
          entityIdPath: 'id',
          eventTimePath: '/attributes/updated-at',
          features: {
            plan: f('attributes.plan', 'string'),
            amount: f('attributes.amount', 'number'),
            score: f('attributes.score', 'number'),
          },
        },
      };
      break;
    case 'salesforce':
      def = {
        url: `${server.url}?q=${encodeURIComponent('SELECT Id, LastModifiedDate, Plan__c, Amount__c, Score__c FROM Account')}`,
        pagination: { style: 'next-url', nextUrlPath: 'nextRecordsUrl', donePath: 'done' },
        recordsPath: 'records',
        mapping: {
          featureSet,
          entityIdPath: 'Id',
          eventTimePath: 'LastModifiedDate',
          features: { plan: f('Plan__c', 'string'), amount: f('Amount__c', 'number'), score: f('Score__c', 'number') },
        },
      };
      break;
    case 'shopify':
      def = {
        url: server.url,
        pagination: { style: 'link', sizeParam: 'limit' },
        recordsPath: 'customers',
        mapping: {
          featureSet,
          entityIdPath: 'id',
          eventTimePath: 'updated_at',
          features: {
            plan: f('tags', 'string'),
            amount: f('total_spent', 'number'),
            score: f('orders_count', 'number'),
          },
        },
      };
      break;
  }
  return { ...common, ...def, ...rest } as SourceDefinition;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  type = 'application/json',
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
