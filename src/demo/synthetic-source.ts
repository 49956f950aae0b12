/**
 * A synthetic customer API: a real HTTP server (node:http) serving deterministic customer-like
 * records with all four pagination styles, a `shift` knob that moves the distributions (the drift
 * demo turns it), and fault hooks for tests (429 with Retry-After, 503, hung connections,
 * truncated JSON, invalid records).
 *
 * Record i is a pure function of (seed, i, shift): two fetches of the same page give the same bytes,
 * so a re-fetched page after a crash is the same page. Event times are spread evenly over the
 * `spanDays` before `anchor`, in index order, so they land in existing daily partitions.
 *
 * Routes (all GET, same data set):
 *   /cursor?cursor=&limit=           → { data, next_cursor }   (cursor is opaque; null at the end)
 *   /pages?page=&per_page=           → { data, page, per_page } (page 1 first)
 *   /offset?offset=&limit=           → { data, offset, limit }
 *   /link?per_page=[&after=]         → { data } + `Link: <…>; rel="next"` while more remain
 * Every route accepts `since` (ISO time: only records after it) and `from`/`to` (a window).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SourceDefinition } from '../shared/source-definition';

/** The pagination styles the synthetic API serves (one route each). */
export type SyntheticStyle = 'cursor' | 'page' | 'offset' | 'link';

export const NUMERIC_FEATURES = [
  'age',
  'tenure_months',
  'monthly_spend',
  'total_spend',
  'orders_90d',
  'avg_order_value',
  'days_since_last_order',
  'support_tickets_90d',
  'returns_90d',
  'discount_rate',
  'web_sessions_30d',
  'app_sessions_30d',
  'email_open_rate',
  'email_click_rate',
  'nps_score',
  'late_payments_12m',
  'credit_limit',
  'balance',
  'referrals',
  'satisfaction',
] as const;

export const CATEGORICAL_FEATURES = {
  plan: ['basic', 'standard', 'premium', 'enterprise'],
  region: ['north', 'south', 'east', 'west', 'central'],
  channel: ['web', 'app', 'store', 'phone'],
  device: ['ios', 'android', 'desktop', 'other'],
  payment_method: ['card', 'paypal', 'bank_transfer', 'invoice'],
} as const;

/** The label the demo trains on: 1 when the customer churned. Not one of the 25 features. */
export const LABEL = 'churned';

/** A request as fault hooks see it. */
export interface FaultRequest {
  route: SyntheticStyle;
  /** 0-based page of the listing: first record position / page size */
  pageIndex: number;
  /** how many times this exact URL has been requested, this one included (1 on the first) */
  hit: number;
  url: string;
  /** the request's headers (lower-case names), e.g. to check an Authorization header arrived */
  headers: Record<string, string | string[] | undefined>;
}

export type Fault =
  /** answer with this status (e.g. 429 with retryAfterS, 503, 404) */
  | { kind: 'status'; status: number; retryAfterS?: number }
  /** accept the request and never answer: the client must time out */
  | { kind: 'hang' }
  /** a 200 whose JSON body is cut in half */
  | { kind: 'truncate' }
  /** answer after a delay */
  | { kind: 'delay'; ms: number };

export type FaultHook = (request: FaultRequest) => Fault | undefined;

export interface SyntheticSourceOptions {
  /** records the listing holds (grow it later with setRecordCount). */
  records: number;
  /** PRNG seed: the same seed serves the same records. @default 42 */
  seed?: number;
  /** distinct customers; record i describes customer i % entities. @default records */
  entities?: number;
  /** entity id prefix, to keep test runs apart. @default 'cust-' */
  entityPrefix?: string;
  /** end of the initial event-time span (ms since epoch). @default now, rounded down to the minute */
  anchor?: number;
  /** the initial records' event times spread over this many days before `anchor`; later records continue at the same step. @default 3 */
  spanDays?: number;
  /** distribution shift in standard deviations (0 = reference). @default 0 */
  shift?: number;
  /** every n-th record (index % n === n - 1) is invalid in a rotating way (bad id, bad time, bad feature). @default off */
  invalidEvery?: number;
  /** include the `churned` label. @default true */
  label?: boolean;
  faults?: FaultHook;
  /** @default 0 (any free port) */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
}

export interface SyntheticSource {
  /** base URL, e.g. http://127.0.0.1:40123 (append /cursor, /pages, /offset or /link) */
  url: string;
  /** the URL of a route, e.g. routeUrl('offset') */
  routeUrl(style: SyntheticStyle): string;
  setShift(shift: number): void;
  setFaults(hook: FaultHook | undefined): void;
  /** grow (or shrink) the listing, e.g. to test an incremental run */
  setRecordCount(records: number): void;
  /** event time of record i (ISO) */
  eventTimeOf(index: number): string;
  /** whether record i is served invalid */
  isInvalid(index: number): boolean;
  /**
   * Renders every record now into one buffer (about 0.6 KB a record), so pages are served by slicing
   * it: no generation CPU and nothing for the garbage collector to trace. The benchmark does this so
   * the source does not compete with the worker. A later shift or a longer listing falls back to
   * generating records per request.
   */
  warm(): void;
  stats(): { requests: number; recordsServed: number; faults: number };
  close(): Promise<void>;
}

/** The records of a synthetic source as a pure function of their index (the server serves these). */
export interface SyntheticRecords {
  /** record i as JSON text, with the current shift */
  json(index: number): string;
  /** event time of record i, ms since epoch */
  timeOf(index: number): number;
  isInvalid(index: number): boolean;
  shift(): number;
  setShift(shift: number): void;
  /** first index whose event time is after `ms` (inclusive: at or after) */
  firstAfter(ms: number, inclusive: boolean): number;
}

export function createSyntheticRecords(
  options: Omit<SyntheticSourceOptions, 'faults' | 'port' | 'host'>,
): SyntheticRecords {
  const seed = options.seed ?? 42;
  const prefix = options.entityPrefix ?? 'cust-';
  const spanMs = (options.spanDays ?? 3) * 86_400_000;
  const anchor = options.anchor ?? Math.floor(Date.now() / 60_000) * 60_000;
  const withLabel = options.label ?? true;
  const entities = options.entities ?? options.records;
  // a fixed step keeps record i's time stable when the listing grows
  const stepMs = Math.max(1, Math.floor(spanMs / Math.max(1, options.records)));
  const t0 = anchor - spanMs;
  let shift = options.shift ?? 0;
  const timeOf = (i: number) => t0 + i * stepMs;
  const isInvalid = (i: number) =>
    options.invalidEvery !== undefined && i % options.invalidEvery === options.invalidEvery - 1;

  function record(i: number): string {
    const rng = mulberry32(hash2(seed, i));
    const z = () => gaussian(rng) + shift;
    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
    const age = Math.round(clamp(42 + 12 * z(), 18, 90));
    const tenure = Math.round(clamp(30 * Math.exp(0.6 * z() - 0.18), 0, 240));
    const monthly = round(Math.exp(3.8 + 0.5 * z()));
    const orders = Math.max(0, Math.round(6 + 3 * z()));
    const values: number[] = [
      age,
      tenure,
      monthly,
      round(monthly * Math.max(1, tenure)),
      orders,
      round(Math.exp(3.4 + 0.4 * z())),
      Math.round(clamp(20 + 15 * z(), 0, 365)),
      Math.max(0, Math.round(1 + 1.2 * z())),
      Math.max(0, Math.round(0.5 + 0.8 * z())),
      round(clamp(0.1 + 0.06 * z(), 0, 1), 3),
      Math.max(0, Math.round(12 + 6 * z())),
      Math.max(0, Math.round(8 + 5 * z())),
      round(clamp(0.35 + 0.12 * z(), 0, 1), 3),
      round(clamp(0.08 + 0.04 * z(), 0, 1), 3),
      Math.round(clamp(7 + 2 * z(), 0, 10)),
      Math.max(0, Math.round(0.4 + 0.9 * z())),
      Math.round(clamp(5000 + 2000 * z(), 500, 20000) / 100) * 100,
      round(clamp(1200 + 800 * z(), 0, 20000)),
      Math.max(0, Math.round(0.6 + 1 * z())),
      round(clamp(3.8 + 0.7 * z(), 1, 5), 1),
    ];
    let json = `{"customer_id":"${prefix}${i % entities}","event_time":"${new Date(timeOf(i)).toISOString()}"`;
    for (let k = 0; k < NUMERIC_FEATURES.length; k++) json += `,"${NUMERIC_FEATURES[k]}":${values[k]}`;
    for (const [name, levels] of Object.entries(CATEGORICAL_FEATURES))
      json += `,"${name}":"${levels[pickTilted(rng(), levels.length, shift)]}"`;
    if (withLabel) {
      // churn grows with tickets, late payments and days since the last order, falls with tenure and NPS
      const score =
        -1.2 + 0.35 * values[7]! + 0.4 * values[15]! + 0.03 * values[6]! - 0.02 * tenure - 0.15 * (values[14]! - 7);
      json += `,"${LABEL}":${rng() < 1 / (1 + Math.exp(-score)) ? 1 : 0}`;
    }
    json += '}';
    if (isInvalid(i)) json = corrupt(json, (i / options.invalidEvery!) | 0);
    return json;
  }

  return {
    json: record,
    timeOf,
    isInvalid,
    shift: () => shift,
    setShift: (x) => {
      shift = x;
    },
    firstAfter: (ms, inclusive) =>
      Math.max(0, inclusive ? Math.ceil((ms - t0) / stepMs) : Math.floor((ms - t0) / stepMs) + 1),
  };
}

export async function startSyntheticSource(options: SyntheticSourceOptions): Promise<SyntheticSource> {
  const records = createSyntheticRecords(options);
  let total = options.records;
  let faults = options.faults;
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const counters = { requests: 0, recordsServed: 0, faults: 0 };
  const record = records.json;
  const firstAfter = records.firstAfter;
  let rendered: { buffer: Buffer; offsets: Float64Array; count: number; shift: number } | undefined;

  function listing(url: URL): { lo: number; hi: number } {
    let lo = 0;
    let hi = total;
    const since = url.searchParams.get('since');
    if (since) lo = Math.max(lo, firstAfter(Date.parse(since), false));
    const from = url.searchParams.get('from');
    if (from) lo = Math.max(lo, firstAfter(Date.parse(from), true));
    const to = url.searchParams.get('to');
    if (to) hi = Math.min(hi, firstAfter(Date.parse(to), true));
    return { lo, hi: Math.max(lo, hi) };
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    counters.requests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = ({ '/cursor': 'cursor', '/pages': 'page', '/offset': 'offset', '/link': 'link' } as const)[
      url.pathname
    ];
    if (!route) return send(res, 404, { error: `no route ${url.pathname}: use /cursor, /pages, /offset or /link` });
    const q = (name: string, fallback: number) => {
      const raw = url.searchParams.get(name);
      return raw === null ? fallback : Number(raw);
    };
    const { lo, hi } = listing(url);
    let size: number;
    let start: number; // absolute index of the page's first record
    switch (route) {
      case 'cursor':
        size = q('limit', 100);
        start = url.searchParams.get('cursor') ? decodeCursor(url.searchParams.get('cursor')!) : lo;
        break;
      case 'page':
        size = q('per_page', 100);
        start = lo + (q('page', 1) - 1) * size;
        break;
      case 'offset':
        size = q('limit', 100);
        start = lo + q('offset', 0);
        break;
      case 'link':
        size = q('per_page', 100);
        start = url.searchParams.has('after') ? q('after', 0) : lo;
        break;
    }
    if (!Number.isInteger(size) || size < 1 || size > 100_000 || !Number.isInteger(start) || start < 0) {
      return send(res, 400, { error: `bad paging parameters in ${url.search}` });
    }
    const key = req.url ?? '';
    const hit = (hits.get(key) ?? 0) + 1;
    hits.set(key, hit);
    const fault = faults?.({ route, pageIndex: Math.floor((start - lo) / size), hit, url: key, headers: req.headers });
    if (fault) counters.faults++;
    if (fault?.kind === 'status') {
      const headers: Record<string, string> =
        fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
      return send(res, fault.status, { error: `injected ${fault.status}` }, headers);
    }
    if (fault?.kind === 'hang') return; // the socket stays open until the client gives up or close()

    const end = Math.min(start + size, hi);
    let data: string | Buffer;
    if (rendered && rendered.shift === records.shift() && end <= rendered.count) {
      // each rendered record is followed by a comma: drop the last one
      data = start < end ? rendered.buffer.subarray(rendered.offsets[start]!, rendered.offsets[end]! - 1) : '';
    } else {
      const parts: string[] = [];
      for (let i = start; i < end; i++) parts.push(record(i));
      data = parts.join(',');
    }
    counters.recordsServed += Math.max(0, end - start);
    const more = end < hi;
    const headers: Record<string, string> = {};
    let meta = '';
    if (route === 'cursor') meta = `,"next_cursor":${more ? `"${encodeCursor(end)}"` : 'null'}`;
    if (route === 'page') meta = `,"page":${q('page', 1)},"per_page":${size}`;
    if (route === 'offset') meta = `,"offset":${q('offset', 0)},"limit":${size}`;
    if (route === 'link' && more) {
      const next = new URL(url.href);
      next.searchParams.set('after', String(end));
      next.searchParams.delete('since');
      next.searchParams.delete('from');
      // the window's end must survive into later pages
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    let body: string | Buffer =
      typeof data === 'string'
        ? `{"data":[${data}]${meta}}`
        : Buffer.concat([OPEN_DATA, data, Buffer.from(`]${meta}}`)]);
    if (fault?.kind === 'truncate')
      body =
        typeof body === 'string'
          ? body.slice(0, Math.floor(body.length / 2))
          : body.subarray(0, Math.floor(body.length / 2));
    const reply = () => send(res, 200, body, headers);
    if (fault?.kind === 'delay') setTimeout(reply, fault.ms);
    else reply();
  }

  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const base = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  const routes: Record<SyntheticStyle, string> = {
    cursor: '/cursor',
    page: '/pages',
    offset: '/offset',
    link: '/link',
  };

  return {
    url: base,
    routeUrl: (style) => `${base}${routes[style]}`,
    setShift: records.setShift,
    setFaults: (hook) => {
      faults = hook;
    },
    setRecordCount: (n) => {
      total = n;
    },
    eventTimeOf: (i) => new Date(records.timeOf(i)).toISOString(),
    isInvalid: records.isInvalid,
    warm: () => {
      const offsets = new Float64Array(total + 1);
      const chunks: Buffer[] = [];
      let pending: string[] = [];
      let size = 0;
      for (let i = 0; i < total; i++) {
        const text = `${record(i)},`;
        offsets[i] = size;
        size += Buffer.byteLength(text);
        pending.push(text);
        if (pending.length === 10_000) {
          chunks.push(Buffer.from(pending.join('')));
          pending = [];
        }
      }
      chunks.push(Buffer.from(pending.join('')));
      offsets[total] = size;
      rendered = { buffer: Buffer.concat(chunks, size), offsets, count: total, shift: records.shift() };
    },
    stats: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A source definition for the synthetic API: every feature declared with its type (so records are
 * validated field by field), the label as a nullable number. The demo and tests start from this.
 */
export function syntheticSourceDefinition(
  source: SyntheticSource,
  style: SyntheticStyle,
  overrides: Partial<SourceDefinition> & { name: string; featureSet: string },
): SourceDefinition {
  const features: NonNullable<SourceDefinition['mapping']['features']> = {};
  for (const name of NUMERIC_FEATURES) features[name] = { path: name, type: 'number' };
  for (const name of Object.keys(CATEGORICAL_FEATURES)) features[name] = { path: name, type: 'string' };
  features[LABEL] = { path: LABEL, type: 'number', nullable: true };
  const pagination: SourceDefinition['pagination'] =
    style === 'cursor'
      ? { style }
      : style === 'page'
        ? { style, pageParam: 'page', sizeParam: 'per_page' }
        : style === 'offset'
          ? { style }
          : { style, sizeParam: 'per_page' };
  const { featureSet, ...rest } = overrides;
  return {
    url: source.routeUrl(style),
    pagination,
    recordsPath: 'data',
    pageSize: 100,
    mapping: { featureSet, entityIdPath: 'customer_id', eventTimePath: 'event_time', features },
    incremental: { sinceParam: 'since' },
    window: { startParam: 'from', endParam: 'to' },
    ...rest,
  };
}

// --- deterministic randomness ---------------------------------------------------------------------

function hash2(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Picks one of n levels; a positive shift moves weight towards the later levels. */
function pickTilted(u: number, n: number, shift: number): number {
  const cdf = levelCdf(n, shift);
  for (let k = 0; k < n - 1; k++) if (u < cdf[k]!) return k;
  return n - 1;
}

const cdfCache = new Map<string, number[]>();
function levelCdf(n: number, shift: number): number[] {
  const key = `${n}:${shift}`;
  let cdf = cdfCache.get(key);
  if (!cdf) {
    // base weights n, n-1, …, 1 (earlier levels more common), tilted by exp(0.8 · shift · centred rank)
    const weights = Array.from({ length: n }, (_, k) => Math.exp(shift * (k - (n - 1) / 2) * 0.8) * (n - k));
    const sum = weights.reduce((a, b) => a + b, 0);
    let acc = 0;
    cdf = weights.map((w) => (acc += w / sum));
    if (cdfCache.size > 1000) cdfCache.clear();
    cdfCache.set(key, cdf);
  }
  return cdf;
}

function encodeCursor(index: number): string {
  return Buffer.from(`r:${index}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^r:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : -1;
}

/** Three kinds of broken record, rotating: no entity id, an unparseable time, a non-numeric feature. */
function corrupt(json: string, nth: number): string {
  switch (nth % 3) {
    case 0:
      return json.replace(/"customer_id":"[^"]*",/, '');
    case 1:
      return json.replace(/"event_time":"[^"]*"/, '"event_time":"not-a-time"');
    default:
      return json.replace(/"monthly_spend":[^,]*/, '"monthly_spend":"n/a"');
  }
}

const OPEN_DATA = Buffer.from('{"data":[');

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
