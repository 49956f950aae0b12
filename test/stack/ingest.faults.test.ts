/**
 * A misbehaving source does not lose or duplicate records: 429 with Retry-After, 503, a hung
 * connection, a truncated JSON body and invalid records. The run finishes, counts reconcile, and
 * every invalid record is a dead letter with its reason. A 404 fails the run at once, naming the URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import {
  startSyntheticSource,
  type FaultRequest,
  type SyntheticSource,
  type SyntheticStyle,
} from '../../src/demo/synthetic-source';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { deadLetters, landed, runIngest, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const RECORDS = 1500;
const INVALID_EVERY = 50;

describe('ingestSource against a faulty source', () => {
  const suite = useStackSuite();
  let source: SyntheticSource;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    source = await startSyntheticSource({
      records: RECORDS,
      entityPrefix: `${uniqueName('c')}-`,
      invalidEvery: INVALID_EVERY,
    });
  });

  afterAll(async () => {
    for (const w of written) await deleteIngested(suite.pool, w.featureSet, w.source);
    await source?.close();
  });

  it.each<SyntheticStyle>(['offset', 'cursor'])(
    '%s: 429, 503, hang and truncation are retried; invalid records are dead letters',
    async (style) => {
      const seen: Array<{ page: number; hit: number; at: number }> = [];
      source.setFaults((r: FaultRequest) => {
        seen.push({ page: r.pageIndex, hit: r.hit, at: Date.now() });
        if (r.hit > 1) return undefined; // each fault once per page URL
        if (r.pageIndex === 1) return { kind: 'status', status: 429, retryAfterS: 2 };
        if (r.pageIndex === 3) return { kind: 'status', status: 503 };
        if (r.pageIndex === 5) return { kind: 'hang' };
        if (r.pageIndex === 7) return { kind: 'truncate' };
        return undefined;
      });
      const definition = testSource(source, style, {
        pageSize: 100,
        requestTimeoutMs: 1000,
        pagesPerActivity: style === 'cursor' ? 4 : 1,
      });
      written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
      try {
        const out = await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });
        const invalid = RECORDS / INVALID_EVERY;
        expect(out).toMatchObject({
          recordsSeen: RECORDS,
          recordsWritten: RECORDS - invalid,
          deadLetters: invalid,
          duplicatesMerged: 0,
          reconciled: true,
        });
        // a cursor source ends with its last page; numbered pages end on an empty page (and may fetch a few past it)
        if (style === 'cursor') expect(out.pages).toBe(RECORDS / 100);
        else expect(out.pages).toBeGreaterThanOrEqual(RECORDS / 100 + 1);

        const rows = await landed(suite.pool, definition.mapping.featureSet);
        expect(rows.rows).toBe(RECORDS - invalid);
        expect(rows.distinctKeys).toBe(RECORDS - invalid);

        const letters = await deadLetters(suite.pool, definition.name);
        expect(letters).toHaveLength(invalid);
        for (const letter of letters) {
          expect(letter.reason).toMatch(/customer_id|event_time|monthly_spend/);
          expect(letter.raw).toBeTypeOf('object');
        }
        expect(
          letters.some((l) =>
            /monthly_spend: feature monthly_spend expected a finite number, got "n\/a"/.test(l.reason),
          ),
        ).toBe(true);

        // every faulty page was asked for again, and the 429 retry waited for Retry-After (2 s)
        for (const page of [1, 3, 5, 7]) expect(seen.filter((s) => s.page === page).length).toBeGreaterThanOrEqual(2);
        const [first, second] = seen.filter((s) => s.page === 1);
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);
      } finally {
        source.setFaults(undefined);
      }
    },
  );

  it('a 404 fails the run without retrying, naming the status and the URL', async () => {
    let requests = 0;
    source.setFaults((r) => (r.pageIndex === 2 ? (requests++, { kind: 'status', status: 404 }) : undefined));
    const definition = testSource(source, 'cursor', { pageSize: 100 });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    try {
      const err = await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const activity = (err as WorkflowFailedError).cause;
      expect(activity).toBeInstanceOf(ActivityFailure);
      const app = (activity as ActivityFailure).cause as ApplicationFailure;
      expect(app).toBeInstanceOf(ApplicationFailure);
      expect(app.type).toBe('SourceHttpError');
      expect(app.nonRetryable).toBe(true);
      expect(app.message).toContain('404');
      expect(app.message).toContain(`${source.routeUrl('cursor')}?cursor=`);
      expect(requests).toBe(1);
      // the pages before the failing one were written
      expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBeGreaterThan(0);
    } finally {
      source.setFaults(undefined);
    }
  });
});
