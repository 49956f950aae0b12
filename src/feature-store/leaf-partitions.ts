/**
 * The feature store's daily leaf partitions, for the page writer's direct COPY (page-writer.ts).
 *
 * Why the writer routes rows itself: PostgreSQL does not batch a COPY into a partitioned table that
 * has a transition-table trigger (migration 070's write counters), so COPY through the parent runs one
 * insert per row. COPY into a leaf keeps the batching; the writer then counts the page's writes with
 * the same function the triggers call (migration 075). A row outside every known range (no partition
 * yet, the default partition) goes through the parent, where the triggers count it.
 */
import type { PoolClient } from 'pg';
import type { FeatureRow } from './rows';

/** One leaf partition: its name as a quoted identifier (regclass text) and its range in ms. */
export interface LeafPartition {
  name: string;
  start: number;
  end: number;
}

/** Rows split by leaf partition, plus the rows for the parent and the page's writes per UTC hour. */
export interface RoutedRows {
  leaves: { partition: string; rows: FeatureRow[] }[];
  parent: FeatureRow[];
  /** writes per UTC hour (ms) of the rows routed to leaves: the parent's rows are counted by its triggers */
  hours: Map<number, number>;
}

const HOUR = 3_600_000;
/** pg_partman makes partitions ahead of time and drops old ones rarely: a minute-old list is fine, and a miss refreshes it sooner. */
const MAX_AGE_MS = 60_000;
const MISS_REFRESH_MS = 5_000;

let cached: { partitions: LeafPartition[]; at: number } | undefined;

/** Leaf partitions sorted by start; the list is cached for a minute, or 5 s once a row missed it. */
export async function leafPartitions(client: PoolClient, missed = false): Promise<LeafPartition[]> {
  const age = cached ? Date.now() - cached.at : Infinity;
  if (cached && age < (missed ? MISS_REFRESH_MS : MAX_AGE_MS)) return cached.partitions;
  const { rows } = await client.query<{ partition: string; range_start: Date; range_end: Date }>(
    'SELECT partition, range_start, range_end FROM features.feature_value_partitions WHERE range_start IS NOT NULL ORDER BY range_start',
  );
  cached = {
    partitions: rows.map((r) => ({ name: r.partition, start: r.range_start.getTime(), end: r.range_end.getTime() })),
    at: Date.now(),
  };
  return cached.partitions;
}

/** Forget the cached list (a COPY into a leaf found it wrong: the partition was dropped or re-made). */
export function forgetLeafPartitions(): void {
  cached = undefined;
}

/** Splits rows by the leaf whose range holds their event time (ranges are [start, end)). */
export function routeRows(rows: FeatureRow[], partitions: LeafPartition[]): RoutedRows {
  const byLeaf = new Map<string, FeatureRow[]>();
  const parent: FeatureRow[] = [];
  const hours = new Map<number, number>();
  for (const row of rows) {
    const t = Date.parse(row.eventTime);
    const leaf = findLeaf(partitions, t);
    if (!leaf) {
      parent.push(row);
      continue;
    }
    let list = byLeaf.get(leaf.name);
    if (!list) byLeaf.set(leaf.name, (list = []));
    list.push(row);
    const hour = Math.floor(t / HOUR) * HOUR;
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
  }
  return { leaves: [...byLeaf].map(([partition, leafRows]) => ({ partition, rows: leafRows })), parent, hours };
}

/** Binary search over ranges sorted by start. */
function findLeaf(partitions: LeafPartition[], t: number): LeafPartition | undefined {
  let lo = 0;
  let hi = partitions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = partitions[mid]!;
    if (t < p.start) hi = mid - 1;
    else if (t >= p.end) lo = mid + 1;
    else return p;
  }
  return undefined;
}
