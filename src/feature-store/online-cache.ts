/**
 * The online cache: look-aside reads of an entity's latest features. Redis first; on a miss,
 * PostgreSQL (the newest row of the entity in the feature set), then Redis is filled with a TTL
 * (CACHE_TTL_S). Ingestion deletes the entries of every entity it writes, after its transaction commits.
 *
 * Known window: a reader that missed, read PostgreSQL just before an ingest committed, and fills after
 * the ingest's invalidation, caches the older row; the TTL bounds how long (docs/INGESTION.md).
 */
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { FeatureValue } from './rows';

/** The newest feature row of one entity in one feature set. */
export interface LatestFeatures {
  featureSet: string;
  entityId: string;
  /** ISO-8601 */
  eventTime: string;
  features: Record<string, FeatureValue>;
  /** true when Redis answered, false when PostgreSQL did */
  cached: boolean;
}

export interface OnlineCacheOptions {
  pool: Pool;
  redis: Redis;
  /** entry lifetime, seconds (config.redis.cacheTtlS) */
  ttlS: number;
}

export interface OnlineCache {
  /** the entity's latest features, or null when the feature store has none (a miss is cached too) */
  getLatestFeatures(featureSet: string, entityId: string): Promise<LatestFeatures | null>;
  /**
   * The latest features of each of `entityIds`, in their order (null: none): one MGET, one query for
   * the misses, one pipeline of fills, however many entities.
   */
  getLatestFeaturesMany(featureSet: string, entityIds: readonly string[]): Promise<(LatestFeatures | null)[]>;
  /** forgets cached entries, e.g. after an ingest wrote these entities */
  invalidate(featureSet: string, entityIds: Iterable<string>): Promise<number>;
}

/** Redis key of an entity's entry. MAINTENANCE: ingestion invalidates through invalidateEntities below. */
export function cacheKey(featureSet: string, entityId: string): string {
  return `mlops:fv:${featureSet}:${entityId}`;
}

/** A cached "no row" answer: cached so a hot unknown entity does not hit PostgreSQL on every read. */
const NONE = '0';
/**
 * "No row" answers one batch read caches at most: a request naming thousands of unknown entities
 * (refused with 404 anyway) must not fill Redis with as many keys; a hot unknown one is still cached.
 */
export const MAX_NEGATIVE_FILLS = 16;

interface CachedEntry {
  t: string;
  f: Record<string, FeatureValue>;
}

export function createOnlineCache({ pool, redis, ttlS }: OnlineCacheOptions): OnlineCache {
  return {
    async getLatestFeatures(featureSet, entityId) {
      const key = cacheKey(featureSet, entityId);
      const hit = await redis.get(key);
      if (hit !== null) {
        if (hit === NONE) return null;
        const entry = JSON.parse(hit) as CachedEntry;
        return { featureSet, entityId, eventTime: entry.t, features: entry.f, cached: true };
      }
      // The primary key (feature_set, entity_id, event_time) serves this as a backward index scan per partition.
      const { rows } = await pool.query<{ event_time: Date; features: Record<string, FeatureValue> }>(
        `SELECT event_time, features FROM features.feature_values
          WHERE feature_set = $1 AND entity_id = $2 ORDER BY event_time DESC LIMIT 1`,
        [featureSet, entityId],
      );
      const row = rows[0];
      if (!row) {
        await redis.set(key, NONE, 'EX', ttlS);
        return null;
      }
      const eventTime = row.event_time.toISOString();
      await redis.set(key, JSON.stringify({ t: eventTime, f: row.features }), 'EX', ttlS);
      return { featureSet, entityId, eventTime, features: row.features, cached: false };
    },

    async getLatestFeaturesMany(featureSet, entityIds) {
      if (entityIds.length === 0) return [];
      const keys = entityIds.map((id) => cacheKey(featureSet, id));
      const hits = await redis.mget(keys);
      const out: (LatestFeatures | null)[] = hits.map((hit, i) => {
        if (hit === null || hit === NONE) return null;
        const entry = JSON.parse(hit) as CachedEntry;
        return { featureSet, entityId: entityIds[i]!, eventTime: entry.t, features: entry.f, cached: true };
      });
      const misses = [...new Set(entityIds.filter((_, i) => hits[i] === null))];
      if (misses.length === 0) return out;
      // One statement for every miss: the same backward index scan per entity as the single read, as a lateral join.
      const { rows } = await pool.query<{
        entity_id: string;
        event_time: Date;
        features: Record<string, FeatureValue>;
      }>(
        `SELECT ids.entity_id, latest.event_time, latest.features
           FROM unnest($2::text[]) AS ids(entity_id)
           CROSS JOIN LATERAL (
             SELECT event_time, features FROM features.feature_values
              WHERE feature_set = $1 AND entity_id = ids.entity_id ORDER BY event_time DESC LIMIT 1) latest`,
        [featureSet, misses],
      );
      const found = new Map(rows.map((r) => [r.entity_id, r]));
      const fill = redis.pipeline();
      let negatives = 0;
      for (const id of misses) {
        const row = found.get(id);
        if (row) {
          const entry: CachedEntry = { t: row.event_time.toISOString(), f: row.features };
          fill.set(cacheKey(featureSet, id), JSON.stringify(entry), 'EX', ttlS);
        } else if (negatives++ < MAX_NEGATIVE_FILLS) fill.set(cacheKey(featureSet, id), NONE, 'EX', ttlS);
      }
      await fill.exec();
      entityIds.forEach((id, i) => {
        const row = hits[i] === null ? found.get(id) : undefined;
        if (row)
          out[i] = {
            featureSet,
            entityId: id,
            eventTime: row.event_time.toISOString(),
            features: row.features,
            cached: false,
          };
      });
      return out;
    },

    invalidate: (featureSet, entityIds) => invalidateEntities(redis, featureSet, entityIds),
  };
}

/** Deletes the cache entries of `entityIds`; one DEL per 1,000 keys. Returns how many entries existed. */
export async function invalidateEntities(
  redis: Redis,
  featureSet: string,
  entityIds: Iterable<string>,
): Promise<number> {
  let removed = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length) removed += await redis.del(...batch);
    batch = [];
  };
  for (const id of entityIds) {
    batch.push(cacheKey(featureSet, id));
    if (batch.length === 1000) await flush();
  }
  await flush();
  return removed;
}
