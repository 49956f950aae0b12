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
  /** forgets cached entries, e.g. after an ingest wrote these entities */
  invalidate(featureSet: string, entityIds: Iterable<string>): Promise<number>;
}

/** Redis key of an entity's entry. MAINTENANCE: ingestion invalidates through invalidateEntities below. */
export function cacheKey(featureSet: string, entityId: string): string {
  return `mlops:fv:${featureSet}:${entityId}`;
}

/** A cached "no row" answer: cached so a hot unknown entity does not hit PostgreSQL on every read. */
const NONE = '0';

export function createOnlineCache({ pool, redis, ttlS }: OnlineCacheOptions): OnlineCache {
  return {
    async getLatestFeatures(featureSet, entityId) {
      const key = cacheKey(featureSet, entityId);
      const hit = await redis.get(key);
      if (hit !== null) {
        if (hit === NONE) return null;
        const entry = JSON.parse(hit) as { t: string; f: Record<string, FeatureValue> };
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
