/**
 * The GIN index of closed partitions: every daily partition of features.feature_values whose range
 * ended more than `openPartitionDays` ago gets its GIN index (jsonb_path_ops). Partitions still open
 * for writes stay unindexed: that is the ingestion fast path (docs/INGESTION.md, "The GIN index").
 * The worker's role may not build indexes; features.index_closed_partition (migration 050, SECURITY
 * DEFINER) builds each one as the owner, one closed partition at a time.
 */
import type { Pool } from 'pg';
import { withTryAdvisoryLock } from '../postgres';

/** Arbitrary constant key for pg_try_advisory_lock: "closed-partition indexer". */
const INDEXER_LOCK = 741_852_964;

/** Indexes what is due; returns the partitions indexed. `onPartition` is called before each build (a heartbeat). */
export async function indexClosedPartitions(
  pool: Pool,
  openPartitionDays: number,
  onPartition: (partition: string) => void = () => {},
): Promise<string[]> {
  // One indexer at a time (two ingest runs may finish together); the other simply skips.
  const indexed = await withTryAdvisoryLock(pool, INDEXER_LOCK, async (client) => {
    const done: string[] = [];
    const { rows } = await client.query<{ partition: string }>(
      'SELECT partition FROM features.partitions_to_index($1)',
      [openPartitionDays],
    );
    for (const { partition } of rows) {
      onPartition(partition);
      const { rows: built } = await client.query<{ built: boolean }>(
        'SELECT features.index_closed_partition($1, $2) AS built',
        [openPartitionDays, partition],
      );
      if (built[0]!.built) done.push(partition);
    }
    return done;
  });
  return indexed ?? [];
}
