/**
 * Partition profiles (migration 070, docs/DRIFT.md "Profiles"): when a daily partition closes, one
 * COPY scan per feature set profiles every feature of it (src/shared/drift/feature-profile.ts) and
 * stores the profiles beside the partition, with the write counters the scan saw. Later writes into
 * the partition move the counters (statement triggers, whoever writes) and mark it stale; a stale
 * profile is rebuilt by the next profiler run or the next check that needs it, never on the write path.
 */
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ProfileAccumulator, type FeatureProfile, type RowsProfile } from '../shared/drift';
import { inTransaction, withTryAdvisoryLock } from '../postgres';

/** A daily partition of features.feature_values. */
export interface PartitionRange {
  partition: string;
  oid: number;
  rangeStart: string;
  rangeEnd: string;
}

/** Scans and rows read by drift checks in this process: profile scans, rebuilds and exact pieces of windowHistograms (the 1,000-sensor bench counts them). */
export const profileScanStats = { scans: 0, rows: 0 };

const NEWLINE = 0x0a;
const TAB = 0x09;

/** COPY text doubles backslashes; jsonb's JSON text has no raw tabs or newlines. */
function decode(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('utf8', start, end);
  return text.includes('\\') ? text.replace(/\\\\/g, '\\') : text;
}

/**
 * Profiles the rows of `featureSet` with event times in [start, end) in one COPY scan, on `client`
 * (so in its transaction's snapshot when it has one). With `sliceMs`, one profile per slice of
 * event time (keyed by the slice's start, epoch ms) instead of one for the whole range.
 */
export async function scanProfiles(
  client: PoolClient,
  featureSet: string,
  start: string,
  end: string,
  options: { sliceMs?: number; onProgress?: (rows: number) => void } = {},
): Promise<{ whole: RowsProfile; slices: Map<number, RowsProfile>; rows: number }> {
  const slice = options.sliceMs;
  const time = slice ? `(extract(epoch FROM event_time) * 1000)::bigint, ` : '';
  const sql = `COPY (SELECT ${time}features FROM features.feature_values WHERE feature_set = ${client.escapeLiteral(featureSet)} AND event_time >= ${client.escapeLiteral(start)}::timestamptz AND event_time < ${client.escapeLiteral(end)}::timestamptz) TO STDOUT`;
  const whole = new ProfileAccumulator();
  const slices = new Map<number, ProfileAccumulator>();
  let rows = 0;
  let rest: Buffer | undefined;
  const stream = client.query(copyTo(sql)) as AsyncIterable<Buffer>;
  for await (const chunk of stream) {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    for (let nl = buf.indexOf(NEWLINE, at); nl !== -1; nl = buf.indexOf(NEWLINE, at)) {
      if (slice) {
        const tab = buf.indexOf(TAB, at);
        const ms = Number(buf.toString('latin1', at, tab));
        const key = Math.floor(ms / slice) * slice;
        let acc = slices.get(key);
        if (!acc) slices.set(key, (acc = new ProfileAccumulator()));
        acc.add(JSON.parse(decode(buf, tab + 1, nl)) as Record<string, unknown>);
      } else whole.add(JSON.parse(decode(buf, at, nl)) as Record<string, unknown>);
      at = nl + 1;
      if (++rows % 100_000 === 0) options.onProgress?.(rows);
    }
    rest = at < buf.length ? buf.subarray(at) : undefined;
  }
  profileScanStats.scans++;
  profileScanStats.rows += rows;
  const out = new Map<number, RowsProfile>();
  for (const [k, acc] of slices) out.set(k, acc.result());
  return { whole: whole.result(), slices: out, rows };
}

/** Sum of the feature set's write counters over [start, end). */
const WRITES = `SELECT coalesce(sum(writes), 0)::bigint AS writes FROM features.feature_writes WHERE feature_set = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz`;

/**
 * Builds and stores the profile of one feature set in one partition: the counters and the rows are
 * read in one REPEATABLE READ snapshot, so `writes_seen` matches exactly the rows profiled; a write
 * that commits later moves the counters and makes the profile stale (checked again after storing,
 * for a write that committed while the profile was being stored).
 */
export async function buildPartitionProfile(
  pool: Pool,
  featureSet: string,
  range: PartitionRange,
  onProgress?: (rows: number) => void,
): Promise<{ rows: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let scanned: Awaited<ReturnType<typeof scanProfiles>>;
    let writes: number;
    try {
      writes = Number(
        (await client.query<{ writes: string }>(WRITES, [featureSet, range.rangeStart, range.rangeEnd])).rows[0]!
          .writes,
      );
      scanned = await scanProfiles(client, featureSet, range.rangeStart, range.rangeEnd, { onProgress });
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    const profile = scanned.whole;
    await inTransaction(client, async () => {
      // one builder per (feature set, partition) at a time, across processes
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`profile:${featureSet}:${range.rangeStart}`]);
      await client.query(
        'DELETE FROM features.partition_profile_sets WHERE feature_set = $1 AND range_start = $2 AND range_end = $3',
        [featureSet, range.rangeStart, range.rangeEnd],
      );
      await client.query(
        `INSERT INTO features.partition_profile_sets (feature_set, range_start, range_end, partition_oid, rows, truncated, writes_seen, stale, computed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, false, now())`,
        [featureSet, range.rangeStart, range.rangeEnd, range.oid, profile.rows, profile.truncated, writes],
      );
      const names = Object.keys(profile.features);
      if (names.length) {
        await client.query(
          `INSERT INTO features.partition_profiles (feature_set, range_start, range_end, feature, profile)
           SELECT $1, $2, $3, f, p FROM unnest($4::text[], $5::jsonb[]) AS u(f, p)`,
          [featureSet, range.rangeStart, range.rangeEnd, names, names.map((n) => JSON.stringify(profile.features[n]))],
        );
      }
      await client.query(
        `UPDATE features.partition_profile_sets SET stale = true
          WHERE feature_set = $1 AND range_start = $2 AND range_end = $3 AND writes_seen <> (${WRITES})`,
        [featureSet, range.rangeStart, range.rangeEnd],
      );
    });
    return { rows: profile.rows };
  } finally {
    client.release();
  }
}

/** Arbitrary constant key for pg_try_advisory_lock: "closed-partition profiler". */
const PROFILER_LOCK = 741_852_965;

export interface ProfiledPartition {
  featureSet: string;
  partition: string;
  rows: number;
}

/**
 * The profiler of the closed-partition flow (ingestSource's indexClosedPartitions activity): deletes
 * the profiles of partitions retention dropped, then profiles every closed partition (range ended
 * more than `openPartitionDays` ago) whose profile is missing or stale, per feature set written into it.
 */
export async function profileClosedPartitions(
  pool: Pool,
  openPartitionDays: number,
  onPartition: (partition: string) => void = () => {},
  /** only this feature set's partitions (tests, benchmarks) */
  featureSet?: string,
): Promise<ProfiledPartition[]> {
  // one profiler at a time (two ingest runs may finish together); the other simply skips
  const done = await withTryAdvisoryLock(pool, PROFILER_LOCK, async (lock) => {
    const profiled: ProfiledPartition[] = [];
    await lock.query('SELECT features.drop_orphan_profiles()');
    const { rows } = await lock.query<{
      feature_set: string;
      partition: string;
      partition_oid: number;
      range_start: Date;
      range_end: Date;
    }>('SELECT * FROM features.partitions_to_profile($1) WHERE $2::text IS NULL OR feature_set = $2', [
      openPartitionDays,
      featureSet ?? null,
    ]);
    for (const r of rows) {
      onPartition(r.partition);
      const range = {
        partition: r.partition,
        oid: Number(r.partition_oid),
        rangeStart: r.range_start.toISOString(),
        rangeEnd: r.range_end.toISOString(),
      };
      const { rows: n } = await buildPartitionProfile(pool, r.feature_set, range, () => onPartition(r.partition));
      profiled.push({ featureSet: r.feature_set, partition: r.partition, rows: n });
    }
    return profiled;
  });
  return done ?? [];
}

/** The stored profiles of `features` in one partition (features without a row never occur there). */
export async function loadPartitionProfiles(
  pool: Pick<Pool, 'query'>,
  featureSet: string,
  range: Pick<PartitionRange, 'rangeStart' | 'rangeEnd'>,
  features: string[],
): Promise<Map<string, FeatureProfile>> {
  const { rows } = await pool.query<{ feature: string; profile: FeatureProfile }>(
    'SELECT feature, profile FROM features.partition_profiles WHERE feature_set = $1 AND range_start = $2 AND range_end = $3 AND feature = ANY($4::text[])',
    [featureSet, range.rangeStart, range.rangeEnd, features],
  );
  return new Map(rows.map((r) => [r.feature, r.profile]));
}
