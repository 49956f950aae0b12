/**
 * Sources from the real world: each pagination dialect of docs/INGESTION.md (GitHub, Stripe, OData
 * with server-driven paging and with $skip/$top, HAL, JSON:API, Salesforce, Shopify) against a real
 * HTTP server speaking it, all at once on one worker process that runs with TZ=America/New_York and
 * is SIGKILLed mid-run, with faults (429 + Retry-After, 503, hangs, truncated bodies) on about one
 * page in six: every record lands exactly once, with the UTC key it has on any worker. Then: a NUL
 * record and an HTML page are dead-lettered while the rest lands; a next link to another origin is
 * refused without the secret reaching it; an undeclared pagination is detected and named.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { type ActivityFailure, type ApplicationFailure } from '@temporalio/common';
import type { Fault } from '../../src/demo/synthetic-source';
import type { IngestProgress } from '../../src/shared/messages/ingest-source';
import { ingestSource } from '../../src/workflows/ingest-source';
import type { IngestSourceOutput } from '../../src/shared/contracts/ingest-source';
import {
  DIALECTS,
  dialectDefinition,
  startDialectServer,
  type Dialect,
  type DialectServer,
} from '../helpers/dialect-server';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { deadLetters, runIngest } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { killWorkerProcess, spawnWorkerProcess, startTestWorker, uniqueName } from '../helpers/temporal';
import { loadConfig } from '../../src/config';

const RECORDS = 600;
const INVALID_EVERY = 100;

/** A fault on the first request of one page in six, rotating through the kinds. */
function faultsFor(dialect: Dialect): (r: { pageIndex: number; hit: number }) => Fault | undefined {
  const shift = DIALECTS.indexOf(dialect);
  const kinds: Fault[] = [
    { kind: 'status', status: 429, retryAfterS: 1 },
    { kind: 'status', status: 503 },
    { kind: 'hang' },
    { kind: 'truncate' },
  ];
  return (r) => {
    // 100 ms a page: no run can get through its 24 pages before every other run is under way
    if (r.hit > 1) return { kind: 'delay', ms: 100 };
    if ((r.pageIndex + shift) % 6 === 5) return kinds[(r.pageIndex + shift) % kinds.length];
    return { kind: 'delay', ms: 100 };
  };
}

async function keys(suite: { pool: import('pg').Pool }, featureSet: string): Promise<string[]> {
  const { rows } = await suite.pool.query<{ entity_id: string; event_time: Date }>(
    'SELECT entity_id, event_time FROM features.feature_values WHERE feature_set = $1',
    [featureSet],
  );
  return rows.map((r) => `${r.entity_id}|${r.event_time.toISOString()}`).sort();
}

describe('pagination dialects against real servers', () => {
  const suite = useStackSuite();
  const servers: DialectServer[] = [];
  const written: Array<{ featureSet: string; source: string }> = [];

  afterAll(async () => {
    for (const w of written) await deleteIngested(suite.pool, w.featureSet, w.source);
    for (const s of servers) await s.close();
  });

  async function server(
    dialect: Dialect,
    options: Partial<Parameters<typeof startDialectServer>[1]> = {},
  ): Promise<DialectServer> {
    const s = await startDialectServer(dialect, {
      records: RECORDS,
      pageSize: 25,
      entityPrefix: `${uniqueName('c')}-`,
      invalidEvery: INVALID_EVERY,
      ...options,
    });
    servers.push(s);
    return s;
  }

  function definition(
    s: DialectServer,
    extra: Parameters<typeof dialectDefinition>[1] extends infer T ? Partial<T> : never = {},
  ) {
    const d = dialectDefinition(s, { name: uniqueName(`src-${s.dialect}`), featureSet: uniqueName('fs'), ...extra });
    written.push({ featureSet: d.mapping.featureSet, source: d.name });
    return d;
  }

  it('every dialect lands exactly once through faults and a worker SIGKILL, with UTC keys on a New York worker', async () => {
    const taskQueue = uniqueName('tq-dialects');
    const runs = await Promise.all(
      DIALECTS.map(async (dialect) => {
        const s = await server(dialect, { faults: faultsFor(dialect) });
        return { dialect, server: s, definition: definition(s, { pagesPerActivity: 3 }) };
      }),
    );
    let child: ChildProcess | undefined = await spawnWorkerProcess(taskQueue, { TZ: 'America/New_York' });
    try {
      const handles: Array<WorkflowHandle<typeof ingestSource>> = [];
      for (const run of runs) {
        handles.push(
          await suite.client.workflow.start(ingestSource, {
            taskQueue,
            workflowId: uniqueName(`ingest-${run.dialect}`),
            args: [{ source: run.definition.name, definition: run.definition, indexClosedPartitions: false }],
          }),
        );
      }
      // kill once every run is under way and none has finished
      for (;;) {
        const progress = await Promise.all(handles.map((h) => h.query<IngestProgress>('progress')));
        if (progress.every((p) => p.pages >= 1)) {
          expect(progress.some((p) => p.done)).toBe(false);
          break;
        }
        await sleep(100);
      }
      await killWorkerProcess(child);
      child = await spawnWorkerProcess(taskQueue, { TZ: 'America/New_York' });
      const outs: IngestSourceOutput[] = await Promise.all(handles.map((h) => h.result()));
      const invalid = RECORDS / INVALID_EVERY;
      for (const [i, run] of runs.entries()) {
        const out = outs[i]!;
        expect({ dialect: run.dialect, ...out }).toMatchObject({
          dialect: run.dialect,
          recordsSeen: RECORDS,
          recordsWritten: RECORDS - invalid,
          deadLetters: invalid,
          deadPages: 0,
          duplicatesMerged: 0,
          reconciled: true,
        });
        const expected = Array.from({ length: RECORDS }, (_, k) => k)
          .filter((k) => !run.server.isInvalid(k))
          .map((k) => run.server.keyOf(k))
          .sort();
        expect(await keys(suite, run.definition.mapping.featureSet)).toEqual(expected);
        expect(await deadLetters(suite.pool, run.definition.name)).toHaveLength(invalid);
        // the faults happened and were retried
        expect(run.server.requests.some((r) => r.hit > 1)).toBe(true);
      }
      expect(outs[DIALECTS.indexOf('stripe')]!.pagination).toBe(
        "cursor starting_after from the last record's id, until has_more is false",
      );
      expect(outs[DIALECTS.indexOf('odata')]!.pagination).toBe('next-url at /@odata.nextLink');
    } finally {
      if (child) await killWorkerProcess(child);
    }
  }, 240_000);

  it('a record with a NUL and a page of HTML are dead letters; the rest lands and the counts say so', async () => {
    const s = await server('odata-skip', { nulRecords: [30], htmlPages: [4] });
    const d = definition(s, { badPages: { retries: 1 } });
    const out = await runIngest(suite.client, suite.worker.taskQueue, { source: d.name, definition: d });
    const invalid = RECORDS / INVALID_EVERY;
    // page 4 (records 100–124, none of them invalid) was never readable; record 30 has a NUL
    expect(out).toMatchObject({
      recordsSeen: RECORDS - 25,
      recordsWritten: RECORDS - 25 - invalid - 1,
      deadLetters: invalid + 1,
      deadPages: 1,
      reconciled: false,
    });
    const letters = await deadLetters(suite.pool, d.name);
    const whole = letters.filter((l) => l.record_index === -1);
    expect(whole).toHaveLength(1);
    expect(whole[0]!.reason).toMatch(/not valid JSON .*\(2 tries\); the whole page is this dead letter/);
    expect(whole[0]!.raw).toMatch(/^<html><body><h1>502 Bad Gateway<\/h1>\\u0000/);
    const nul = letters.find((l) => /NUL/.test(l.reason))!;
    expect(nul.record_index).toBe(5);
    expect(JSON.parse(nul.raw as string)).toMatchObject({ ID: s.keyOf(30).split('|')[0], Plan: 'bas\u0000ic' });
    expect((await keys(suite, d.mapping.featureSet)).length).toBe(out.recordsWritten);
  });

  it("badPages.action 'fail' fails the run at a bad page naming its URL; more than maxDeadPages bad pages fail it too", async () => {
    const s = await server('odata-skip', { htmlPages: [1, 2, 3] });
    const strict = definition(s, { badPages: { retries: 0, action: 'fail' } });
    const err = await runIngest(suite.client, suite.worker.taskQueue, {
      source: strict.name,
      definition: strict,
    }).catch((e: unknown) => e);
    const app = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(app.type).toBe('SourcePageError');
    expect(app.nonRetryable).toBe(true);
    expect(app.message).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/odata\/Customers\?%24count=true&%24skip=\d+&%24top=25 returned \d+ characters that are not valid JSON/,
    );

    const bounded = definition(s, { badPages: { retries: 0, maxDeadPages: 2 } });
    const err2 = await runIngest(suite.client, suite.worker.taskQueue, {
      source: bounded.name,
      definition: bounded,
    }).catch((e: unknown) => e);
    const app2 = (err2 as WorkflowFailedError).cause as ApplicationFailure;
    expect(app2.type).toBe('SourcePageError');
    expect(app2.message).toContain(
      '3 pages were not the JSON the definition describes (more than badPages.maxDeadPages=2)',
    );
    expect((await deadLetters(suite.pool, bounded.name)).filter((l) => l.record_index === -1)).toHaveLength(3);
  });

  it('a next link to another origin is refused naming both origins, and the secret never reaches it', async () => {
    const variable = `SOURCE_SECRET_DIALECT_${uniqueName('t').replace(/-/g, '_').toUpperCase()}`;
    const secret = `s3cr3t-${uniqueName('v')}`;
    process.env[variable] = secret;
    const other = await server('github');
    const s = await server('github', { nextBase: { url: other.base, fromPage: 2 } });
    // an inline definition's secret goes only where the operator binds it: here, to both servers
    const bound = await startTestWorker({
      config: loadConfig({
        ...process.env,
        INGEST_SECRET_ORIGINS: `${variable}=${new URL(s.base).origin},${variable}=${new URL(other.base).origin}`,
      }),
    });
    try {
      const d = definition(s, { headers: { Authorization: { env: variable, prefix: 'token ' } } });
      const err = await runIngest(suite.client, bound.taskQueue, { source: d.name, definition: d }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const app = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
      expect(app.type).toBe('SourceDestinationError');
      expect(app.nonRetryable).toBe(true);
      expect(app.message).toContain(`is on origin ${other.base}, not the source's origin ${s.base}`);
      expect(other.requests).toHaveLength(0);
      expect(s.requests.every((r) => r.headers.authorization === `token ${secret}`)).toBe(true);

      // listed in allowedOrigins, the other origin is followed (and gets the secret)
      const allowed = definition(s, {
        headers: { Authorization: { env: variable, prefix: 'token ' } },
        allowedOrigins: [other.base],
      });
      const out = await runIngest(suite.client, bound.taskQueue, { source: allowed.name, definition: allowed });
      expect(out.recordsSeen).toBe(RECORDS);
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.every((r) => r.headers.authorization === `token ${secret}`)).toBe(true);
    } finally {
      delete process.env[variable];
      await bound.stop();
    }
  });

  it.each<[Dialect, string]>([
    ['hal', 'next-url at /_links/next/href (detected)'],
    ['stripe', "cursor starting_after from the last record's /id, until /has_more is false (detected)"],
    ['shopify', 'link (RFC 8288 rel="next") (detected)'],
  ])(
    '%s without a declared pagination: detected from the first response, named in the summary',
    async (dialect, named) => {
      const s = await server(dialect);
      const declared = definition(s);
      const { pagination: _omitted, ...d } = declared;
      const out = await runIngest(suite.client, suite.worker.taskQueue, { source: d.name, definition: d });
      expect(out.pagination).toBe(named);
      expect(out).toMatchObject({ recordsSeen: RECORDS, reconciled: true });
      expect((await keys(suite, d.mapping.featureSet)).length).toBe(RECORDS - RECORDS / INVALID_EVERY);
    },
  );

  it('numbered pages past the end that answer 404 end the run cleanly, and the watermark is saved', async () => {
    const s = await server('odata-skip');
    // no total in the body this time: only the 404 past the end stops it
    const d = definition(s, {
      pagination: { style: 'offset', offsetParam: '$skip', sizeParam: '$top' },
      maxPagesInFlight: 4,
      incremental: { sinceParam: '$since' },
    });
    const out = await runIngest(suite.client, suite.worker.taskQueue, { source: d.name, definition: d });
    expect(out).toMatchObject({ recordsSeen: RECORDS, reconciled: true });
    expect(out.watermark).toBe(s.keyOf(RECORDS - 2).split('|')[1]); // the last record is invalid
    const { rows } = await suite.pool.query<{ event_time: Date }>(
      'SELECT event_time FROM features.source_watermarks WHERE source = $1',
      [d.name],
    );
    expect(rows[0]!.event_time.toISOString()).toBe(out.watermark);
    expect(s.requests.some((r) => r.pageIndex >= RECORDS / 25)).toBe(true);
  });
});
