/**
 * Every record of a source lands exactly once, for each pagination style: thousands of records over
 * many pages, counts that reconcile, and one feature row per (entity, event time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyntheticSource, type SyntheticSource, type SyntheticStyle } from '../../src/demo/synthetic-source';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, runIngest, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const RECORDS = 2500;

describe('ingestSource lands every record exactly once', () => {
  const suite = useStackSuite();
  let source: SyntheticSource;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    source = await startSyntheticSource({ records: RECORDS, entityPrefix: `${uniqueName('c')}-` });
  });

  afterAll(async () => {
    for (const w of written) await deleteIngested(suite.pool, w.featureSet, w.source);
    await source?.close();
  });

  it.each<SyntheticStyle>(['offset', 'page', 'cursor', 'link'])('%s pagination', async (style) => {
    // 97 per page: the last page is short, and page boundaries fall mid-way through the data
    const definition = testSource(source, style, {
      pageSize: 97,
      maxPagesInFlight: 4,
      pagesPerActivity: style === 'cursor' || style === 'link' ? 5 : 1,
    });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    const out = await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });

    expect(out.pages).toBeGreaterThanOrEqual(Math.ceil(RECORDS / 97));
    expect(out.recordsSeen).toBe(RECORDS);
    expect(out.recordsWritten).toBe(RECORDS);
    expect(out.deadLetters).toBe(0);
    expect(out.reconciled).toBe(true);
    const rows = await landed(suite.pool, definition.mapping.featureSet);
    expect(rows.rows).toBe(RECORDS);
    expect(rows.distinctKeys).toBe(RECORDS);
    // the newest event time written is the last record's
    expect(out.maxEventTime).toBe(source.eventTimeOf(RECORDS - 1));
  });

  it('continues as new before the history grows large, losing nothing', async () => {
    const definition = testSource(source, 'offset', { pageSize: 50, maxPagesInFlight: 3 });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });
    const out = await runIngest(suite.client, suite.worker.taskQueue, {
      source: definition.name,
      definition,
      historyEventLimit: 100,
    });
    expect(out.continuedAsNew).toBeGreaterThanOrEqual(2);
    expect(out.recordsWritten).toBe(RECORDS);
    expect(out.reconciled).toBe(true);
    expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(RECORDS);
  });
});
