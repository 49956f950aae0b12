/**
 * Removing what a test or benchmark wrote into the feature store: the one place that knows which rows
 * belong to a feature set and to an ingested source. Plain functions (no vitest), so benches and
 * mid-test cleanups use them too; test/helpers/feature-sets.ts registers them as hooks.
 */
import type { Pool } from 'pg';

export interface FeatureSetRemoval {
  /** also what the closed-partition profiler and the write counters keep of the sets (deleteProfiles) */
  profiles?: boolean;
}

/** Deletes the sets' feature rows and, with `profiles`, their profiles and write counts (after the rows, whose deletion counts as writes). */
export async function deleteFeatureSets(
  pool: Pool,
  names: string | readonly string[],
  removal: FeatureSetRemoval = {},
): Promise<void> {
  const sets = typeof names === 'string' ? [names] : [...names];
  await pool.query('DELETE FROM features.feature_values WHERE feature_set = ANY($1::text[])', [sets]);
  if (removal.profiles) await deleteProfiles(pool, sets);
}

/** Deletes the sets' partition profiles and hourly write counts, leaving their feature rows. */
export async function deleteProfiles(pool: Pool, names: string | readonly string[]): Promise<void> {
  const sets = typeof names === 'string' ? [names] : [...names];
  await pool.query('DELETE FROM features.partition_profile_sets WHERE feature_set = ANY($1::text[])', [sets]);
  await pool.query('DELETE FROM features.feature_writes WHERE feature_set = ANY($1::text[])', [sets]);
}

/** Deletes what an ingest of `source` into `featureSet` wrote: the feature rows, the source's dead letters and its watermarks. */
export async function deleteIngested(pool: Pool, featureSet: string, source: string): Promise<void> {
  await deleteFeatureSets(pool, featureSet);
  await pool.query('DELETE FROM features.dead_letters WHERE source = $1', [source]);
  await pool.query('DELETE FROM features.source_watermarks WHERE source = $1', [source]);
}
