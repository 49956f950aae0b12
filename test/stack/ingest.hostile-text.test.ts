/**
 * Hostile text from a source, through ingestSource on a real worker and a real HTTP server:
 * - a page whose parse would not fit the worker's heap is one whole-page dead letter, fetched once,
 *   and the run completes (before: JSON.parse ran the worker out of heap, on every retry);
 * - a header value undici will not send (CR/LF) fails the run on the first attempt, naming the
 *   header and never its value (before: retried as a network error, 25 attempts);
 * - a cursor holding a NUL moves the watermark, which reads back equal (before: saveWatermark failed
 *   on every run).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, type ApplicationFailure } from '@temporalio/common';
import { loadConfig } from '../../src/config';
import { readWatermark } from '../../src/feature-store/watermarks';
import type { SourceDefinition } from '../../src/shared/source-definition';
import { ingestSource } from '../../src/workflows/ingest-source';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { deadLetters, landed } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

/** The big page's size: small for the test, but over the heap budget at the expansion the worker assumes. */
const BIG_PAGE_BYTES = 1024 * 1024;
// bytes × expansion above the whole heap limit: over half the free heap whatever the test process uses
const EXPANSION = Math.ceil(getHeapStatistics().heap_size_limit / BIG_PAGE_BYTES) + 1;

const suite = useStackSuite({
  workerConfig: () => loadConfig({ ...process.env, INGEST_JSON_EXPANSION: String(EXPANSION) }),
});

/** Pages by cursor: the first page is cursor=(none); `pages[c]` answers ?cursor=c. */
type Pages = Record<string, () => string>;
let server: Server;
let base = '';
const routes = new Map<string, Pages>();
const hits = new Map<string, number>();

const record = (i: number) => ({
  customer_id: `e${i}`,
  event_time: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  x: i,
});

function route(pages: Pages): string {
  const path = `/${uniqueName('r')}`;
  routes.set(path, pages);
  return `${base}${path}`;
}

function definition(url: string, overrides: Partial<SourceDefinition> = {}): SourceDefinition {
  return {
    name: uniqueName('src-text'),
    url,
    pagination: { style: 'cursor' },
    recordsPath: 'data',
    pageSize: 100,
    mapping: {
      featureSet: uniqueName('fs'),
      entityIdPath: 'customer_id',
      eventTimePath: 'event_time',
      features: { x: { path: 'x', type: 'number' } },
    },
    ...overrides,
  };
}

const written: SourceDefinition[] = [];

async function start(def: SourceDefinition): Promise<WorkflowHandle<typeof ingestSource>> {
  written.push(def);
  return suite.client.workflow.start(ingestSource, {
    taskQueue: suite.worker.taskQueue,
    workflowId: uniqueName(`ingest-${def.name}`),
    args: [{ source: def.name, definition: def, indexClosedPartitions: false }],
  });
}

/** The attempt of each ingestPages activity that ran, from the run's history. */
async function ingestAttempts(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const attempts: number[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === 'ingestPages')
      attempts.push(started.attempt ?? 0);
  }
  return attempts;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const pages = routes.get(url.pathname);
    const cursor = url.searchParams.get('cursor') ?? '';
    const key = `${url.pathname}?${cursor}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    const page = pages?.[cursor];
    if (!page) {
      res.writeHead(404).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(page());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const d of written) await deleteIngested(suite.pool, d.mapping.featureSet, d.name);
  await new Promise((resolve) => server?.close(resolve));
});

describe('hostile text from a source', () => {
  it('a page over the heap budget is one dead letter, fetched once, and the run completes', async () => {
    // valid JSON, within maxPageBytes, but its parse at EXPANSION would need more than the heap
    const big = JSON.stringify({ data: [], pad: 'x'.repeat(BIG_PAGE_BYTES) });
    const url = route({
      '': () => JSON.stringify({ data: [record(1), record(2)], next_cursor: 'big' }),
      big: () => big,
    });
    const def = definition(url, { maxPageBytes: 8 * BIG_PAGE_BYTES });
    const handle = await start(def);
    const out = await handle.result();
    expect(out).toMatchObject({ recordsWritten: 2, deadPages: 1 });
    expect(hits.get(`${new URL(url).pathname}?big`)).toBe(1);
    expect(await ingestAttempts(handle)).toEqual(expect.arrayContaining([1]));
    expect((await ingestAttempts(handle)).every((a) => a === 1)).toBe(true);
    const letters = await deadLetters(suite.pool, def.name);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ record_index: -1, page: 'cursor=big' });
    expect(letters[0]!.reason).toMatch(
      new RegExp(`body of ${big.length} bytes, whose parse \\(×${EXPANSION}, INGEST_JSON_EXPANSION\\)`),
    );
    expect((await landed(suite.pool, def.mapping.featureSet)).rows).toBe(2);
  });

  it('a header value with CR/LF fails the run at the first attempt, naming the header, never the value', async () => {
    const url = route({ '': () => JSON.stringify({ data: [record(1)], next_cursor: null }) });
    const def = definition(url, { headers: { 'X-Tenant': 'acme-tenant\r\nX-Injected: 1' } });
    const handle = await start(def);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause as ActivityFailure;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const app = activity.cause as ApplicationFailure;
    expect([app.type, app.nonRetryable]).toEqual(['InvalidRequestError', true]);
    expect(app.message).toMatch(/the X-Tenant header's value cannot be sent/);
    expect(app.message).not.toContain('acme-tenant');
    expect(await ingestAttempts(handle)).toEqual([1]);
    // undici refused it before sending: the source never saw a request
    expect(hits.get(`${new URL(url).pathname}?`)).toBeUndefined();
  });

  it('a cursor holding a NUL moves the watermark, and it reads back equal', async () => {
    const nul = 'page\u00002';
    const url = route({
      '': () => JSON.stringify({ data: [record(1)], next_cursor: nul }),
      [nul]: () => JSON.stringify({ data: [record(2)], next_cursor: null }),
    });
    const def = definition(url, { incremental: { sinceParam: 'since' } });
    const out = await (await start(def)).result();
    expect(out).toMatchObject({ recordsWritten: 2, deadLetters: 0, watermark: record(2).event_time });
    expect(await readWatermark(suite.pool, def.name)).toEqual({
      eventTime: record(2).event_time,
      cursor: `cursor=${nul}`,
    });
  });
});
