/**
 * Incremental sources and the online cache:
 * - a second run of an incremental source fetches only records after the watermark;
 * - online reads go Redis → PostgreSQL → Redis (miss, then hit), and an ingest that rewrites an
 *   entity invalidates its entry so the next read sees the new features.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { loadConfig } from '../../src/config';
import { startSyntheticSource, type SyntheticSource } from '../../src/demo/synthetic-source';
import { cacheKey, createOnlineCache, type OnlineCache } from '../../src/feature-store/online-cache';
import { deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, runIngest, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

describe('incremental ingestion and the online cache', () => {
  const suite = useStackSuite();
  let source: SyntheticSource;
  let redis: Redis;
  let cache: OnlineCache;
  const prefix = `${uniqueName('c')}-`;
  const written: Array<{ featureSet: string; source: string }> = [];

  beforeAll(async () => {
    source = await startSyntheticSource({ records: 1000, entityPrefix: prefix });
    redis = new Redis(loadConfig().redis.url);
    cache = createOnlineCache({ pool: suite.pool, redis, ttlS: 60 });
  });

  afterAll(async () => {
    for (const w of written) await deleteIngested(suite.pool, w.featureSet, w.source);
    redis?.disconnect();
    await source?.close();
  });

  it('a second run fetches only what is new since the watermark', async () => {
    const definition = testSource(source, 'cursor', { pageSize: 100 });
    written.push({ featureSet: definition.mapping.featureSet, source: definition.name });

    const first = await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });
    expect(first).toMatchObject({ recordsSeen: 1000, recordsWritten: 1000, watermark: source.eventTimeOf(999) });

    source.setRecordCount(1250);
    const servedBefore = source.stats().recordsServed;
    const second = await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });
    expect(second).toMatchObject({
      recordsSeen: 250,
      recordsWritten: 250,
      reconciled: true,
      watermark: source.eventTimeOf(1249),
    });
    expect(source.stats().recordsServed - servedBefore).toBe(250);

    const third = await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });
    expect(third).toMatchObject({ recordsSeen: 0, recordsWritten: 0, watermark: source.eventTimeOf(1249) });

    expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(1250);
    // `full` ignores the watermark
    const full = await runIngest(suite.client, suite.worker.taskQueue, {
      source: definition.name,
      definition,
      full: true,
    });
    expect(full.recordsSeen).toBe(1250);
    expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(1250);
    source.setRecordCount(1000);
  });

  it('online reads: a miss fills Redis, a hit comes from Redis, an ingest invalidates', async () => {
    const definition = testSource(source, 'offset', { pageSize: 200, incremental: undefined });
    const featureSet = definition.mapping.featureSet;
    written.push({ featureSet, source: definition.name });
    await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });

    const entity = `${prefix}7`;
    await redis.del(cacheKey(featureSet, entity));
    const miss = await cache.getLatestFeatures(featureSet, entity);
    expect(miss).toMatchObject({ entityId: entity, eventTime: source.eventTimeOf(7), cached: false });
    expect(await redis.ttl(cacheKey(featureSet, entity))).toBeGreaterThan(0);

    const hit = await cache.getLatestFeatures(featureSet, entity);
    expect(hit).toMatchObject({ cached: true, features: miss!.features });

    // an unknown entity is a cached "none"
    expect(await cache.getLatestFeatures(featureSet, `${prefix}nobody`)).toBeNull();
    expect(await redis.exists(cacheKey(featureSet, `${prefix}nobody`))).toBe(1);

    // the source shifts: same keys, new values; the ingest rewrites the rows and drops the entry
    source.setShift(2);
    try {
      await runIngest(suite.client, suite.worker.taskQueue, { source: definition.name, definition });
    } finally {
      source.setShift(0);
    }
    expect(await redis.exists(cacheKey(featureSet, entity))).toBe(0);
    const fresh = await cache.getLatestFeatures(featureSet, entity);
    expect(fresh?.cached).toBe(false);
    expect(fresh?.features).not.toEqual(miss!.features);
    expect(fresh?.features.age).toBeGreaterThan(miss!.features.age as number);
    expect((await cache.getLatestFeatures(featureSet, entity))?.cached).toBe(true);
  });
});
