/**
 * The GIN index of closed partitions: every daily partition of features.feature_values whose range
 * ended more than `openPartitionDays` ago gets its GIN index (jsonb_path_ops), CONCURRENTLY so writers
 * of late data are not blocked. Partitions still open for writes stay unindexed: that is the ingestion
 * fast path (docs/INGESTION.md, "The GIN index").
 */
import type { Pool } from 'pg';

/** Arbitrary constant key for pg_try_advisory_lock: "closed-partition indexer". */
const INDEXER_LOCK = 741_852_964;

/** Indexes what is due; returns the partitions indexed. `onPartition` is called before each build (a heartbeat). */
export async function indexClosedPartitions(pool: Pool, openPartitionDays: number, onPartition: (partition: string) => void = () => {}): Promise<string[]> {
  const indexed: string[] = [];
  const client = await pool.connect();
  try {
    // One indexer at a time (two ingest runs may finish together); the other simply skips.
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [INDEXER_LOCK]);
    if (!lock[0]!.ok) return indexed;
    try {
      const { rows } = await client.query<{ partition: string; index_name: string }>('SELECT partition, index_name FROM features.partitions_to_index($1)', [openPartitionDays]);
      for (const { partition, index_name } of rows) {
        onPartition(partition);
        // An interrupted CONCURRENTLY build leaves an INVALID index behind; drop it and build again.
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS features.${client.escapeIdentifier(index_name)}`);
        await client.query(
          `CREATE INDEX CONCURRENTLY ${client.escapeIdentifier(index_name)} ON ${partition}
             USING gin (features jsonb_path_ops) WITH (fastupdate = on, gin_pending_list_limit = 65536)`,
        );
        indexed.push(partition);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [INDEXER_LOCK]);
    }
  } finally {
    client.release();
  }
  return indexed;
}
