/**
 * `windowHistograms`: the histogram of a feature-store window over a model's reference bins, read
 * from partition profiles where they exist and scanning only the rest (docs/DRIFT.md, "Profiles").
 *
 * Per daily partition the window touches:
 * - inside the window, closed, with a fresh stored profile: read from the profile (no rows);
 * - with a stale stored profile: rebuilt first (one scan, stored, shared by every later check);
 * - inside the window, closed, no profile yet: scanned exactly by this check ('missing');
 * - open (no stored profile) or only partly inside the window: read from this process's profile of
 *   that partition in hourly slices, built by ONE scan per partition and change of its write
 *   counters, shared by every check in the process (1,000 sensors in the same minute: one scan);
 *   sub-hour window edges are scanned exactly ('edge').
 * Anything a profile cannot answer (a category it did not keep) is scanned exactly ('unanswerable').
 * `exact: true` scans the whole window as before. The result says what was read how.
 */
import type { Pool } from 'pg';
import {
  addHistogram,
  emptyHistogram,
  histogramFromProfile,
  type BinSpec,
  type FeatureProfile,
  type RowsProfile,
  type ScanReason,
  type WindowHistogram,
  type WindowRead,
} from '../shared/drift';
import type { TimeWindow } from '../shared/time-window';
import {
  buildPartitionProfile,
  loadPartitionProfiles,
  profileScanStats,
  scanProfiles,
  type PartitionRange,
} from './partition-profiles';
import { streamWindowHistogram } from './window-histogram';

export type { ScanReason, WindowRead } from '../shared/drift';

export interface WindowHistogramsResult {
  histogram: WindowHistogram;
  read: WindowRead;
}

export interface WindowHistogramsOptions {
  /** scan the whole window with the exact reader, ignoring profiles */
  exact?: boolean;
  /** partitions whose range ended more than this many days ago are closed (as for the GIN index). @default 2 */
  openPartitionDays?: number;
  /** progress of exact scans (an activity heartbeat) */
  onProgress?: (rows: number) => void;
}

const HOUR = 3_600_000;
/** In-process hourly profiles of open partitions kept (LRU): a few feature sets × two open days. */
const OPEN_CACHE_ENTRIES = 8;
/** Stored feature profiles kept decoded (LRU). */
const STORED_CACHE_ENTRIES = 20_000;

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
}

const openProfiles = new Lru<Promise<{ slices: Map<number, RowsProfile>; rows: number }>>(OPEN_CACHE_ENTRIES);
const storedProfiles = new Lru<FeatureProfile | null>(STORED_CACHE_ENTRIES);
const rebuilds = new Map<string, Promise<unknown>>();

/** Forgets every cached profile (benchmarks measure cold reads). */
export function clearProfileCaches(): void {
  openProfiles.clear();
  storedProfiles.clear();
}

interface PlannedPartition extends PartitionRange {
  writes: number;
  stored: { rows: number; truncated: boolean; writesSeen: number; stale: boolean; computedAt: string } | null;
}

async function plan(
  pool: Pool,
  featureSet: string,
  window: TimeWindow,
): Promise<{ partitions: PlannedPartition[]; inDefault: boolean }> {
  const { rows } = await pool.query<{
    partition: string;
    oid: number;
    range_start: Date | null;
    range_end: Date | null;
    writes: string;
    rows: string | null;
    truncated: boolean | null;
    writes_seen: string | null;
    stale: boolean | null;
    computed_at: Date | null;
  }>(
    `SELECT p.partition, p.partition::regclass::oid AS oid, p.range_start, p.range_end,
            (SELECT coalesce(sum(w.writes), 0) FROM features.feature_writes w WHERE w.feature_set = $1 AND w.hour >= p.range_start AND w.hour < p.range_end)::bigint AS writes,
            s.rows, s.truncated, s.writes_seen, s.stale, s.computed_at
       FROM features.feature_value_partitions p
       LEFT JOIN features.partition_profile_sets s
         ON s.feature_set = $1 AND s.range_start = p.range_start AND s.range_end = p.range_end AND s.partition_oid = p.partition::regclass::oid
      WHERE p.range_start < $3::timestamptz AND p.range_end > $2::timestamptz
      ORDER BY p.range_start`,
    [featureSet, window.start, window.end],
  );
  // rows in the default partition (outside every daily one), looked up in that table alone: a
  // tableoid filter on the parent would scan every partition
  let inDefault = false;
  const { rows: defaults } = await pool.query<{ partition: string }>(
    'SELECT partition FROM features.feature_value_partitions WHERE range_start IS NULL',
  );
  for (const { partition } of defaults) {
    // regclass text: a qualified name, quoted where it needs to be
    const { rows: found } = await pool.query(
      `SELECT 1 FROM ${partition} WHERE feature_set = $1 AND event_time >= $2::timestamptz AND event_time < $3::timestamptz LIMIT 1`,
      [featureSet, window.start, window.end],
    );
    inDefault ||= found.length > 0;
  }
  const partitions: PlannedPartition[] = [];
  for (const r of rows) {
    if (!r.range_start || !r.range_end) continue;
    partitions.push({
      partition: r.partition,
      oid: Number(r.oid),
      rangeStart: r.range_start.toISOString(),
      rangeEnd: r.range_end.toISOString(),
      writes: Number(r.writes),
      stored:
        r.rows === null
          ? null
          : {
              rows: Number(r.rows),
              truncated: r.truncated!,
              writesSeen: Number(r.writes_seen),
              stale: r.stale!,
              computedAt: r.computed_at!.toISOString(),
            },
    });
  }
  partitions.sort((a, b) => a.rangeStart.localeCompare(b.rangeStart));
  return { partitions, inDefault };
}

/** The stored profile of a partition as a RowsProfile over `features` (decoded once per process). */
async function storedProfile(
  pool: Pool,
  featureSet: string,
  p: PlannedPartition,
  features: string[],
): Promise<RowsProfile> {
  const stored = p.stored!;
  const key = (f: string) => `${featureSet}\0${p.rangeStart}\0${stored.computedAt}\0${f}`;
  const missing = features.filter((f) => storedProfiles.get(key(f)) === undefined);
  if (missing.length) {
    const loaded = await loadPartitionProfiles(pool, featureSet, p, missing);
    for (const f of missing) storedProfiles.set(key(f), loaded.get(f) ?? null);
  }
  const out: Record<string, FeatureProfile> = {};
  for (const f of features) {
    const prof = storedProfiles.get(key(f));
    if (prof) out[f] = prof;
  }
  return { rows: stored.rows, features: out, truncated: stored.truncated };
}

/** This process's hourly profiles of a partition at its current write counters: one scan, shared. */
function openProfile(
  pool: Pool,
  featureSet: string,
  p: PlannedPartition,
  counted: { rows: number },
): Promise<{ slices: Map<number, RowsProfile>; rows: number }> {
  const key = `${featureSet}\0${p.rangeStart}\0${p.oid}\0${p.writes}`;
  let entry = openProfiles.get(key);
  if (!entry) {
    entry = (async () => {
      const client = await pool.connect();
      try {
        const scanned = await scanProfiles(client, featureSet, p.rangeStart, p.rangeEnd, { sliceMs: HOUR });
        counted.rows += scanned.rows;
        return { slices: scanned.slices, rows: scanned.rows };
      } finally {
        client.release();
      }
    })();
    const e = entry;
    e.catch(() => openProfiles.delete(key));
    openProfiles.set(key, e);
  }
  return entry;
}

/** Rebuilds a stale stored profile once, whoever asks for it meanwhile. */
async function rebuild(pool: Pool, featureSet: string, p: PlannedPartition): Promise<void> {
  const key = `${featureSet}\0${p.rangeStart}`;
  let running = rebuilds.get(key);
  if (!running) {
    running = buildPartitionProfile(pool, featureSet, p).finally(() => rebuilds.delete(key));
    rebuilds.set(key, running);
  }
  await running;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The histogram of `featureSet` over `window` under `specs` (a model's reference bins), from
 * profiles where possible; see the file comment for what is read how.
 */
export async function windowHistograms(
  pool: Pool,
  featureSet: string,
  window: TimeWindow,
  specs: Record<string, BinSpec>,
  options: WindowHistogramsOptions = {},
): Promise<WindowHistogramsResult> {
  const read: WindowRead = {
    method: 'exact',
    partitionsFromProfiles: 0,
    partitionsRebuilt: 0,
    partitionsFromOpenProfiles: 0,
    scanned: [],
    rowsScanned: 0,
  };
  const exactPiece = async (start: string, end: string, reason: ScanReason): Promise<WindowHistogram> => {
    const h = await streamWindowHistogram(pool, { featureSet, window: { start, end } }, specs, {
      threads: reason === 'exact' ? undefined : 0,
      onProgress: options.onProgress,
    });
    read.scanned.push({ start, end, reason });
    read.rowsScanned += h.rows;
    profileScanStats.scans++;
    profileScanStats.rows += h.rows;
    return h;
  };
  if (options.exact) return { histogram: await exactPiece(window.start, window.end, 'exact'), read };

  const { partitions, inDefault } = await plan(pool, featureSet, window);
  // rows outside every daily partition: the exact check is the only reader that sees them
  if (inDefault) return { histogram: await exactPiece(window.start, window.end, 'default-partition'), read };
  const features = Object.keys(specs);
  const ws = Date.parse(window.start);
  const we = Date.parse(window.end);
  const closedBefore = Date.now() - (options.openPartitionDays ?? 2) * 86_400_000;
  const total = emptyHistogram(specs);
  let fromProfiles = false;

  for (const p of partitions) {
    const ps = Date.parse(p.rangeStart);
    const pe = Date.parse(p.rangeEnd);
    const start = Math.max(ws, ps);
    const end = Math.min(we, pe);
    const whole = start === ps && end === pe;
    if (whole && p.stored) {
      if (p.stored.stale || p.stored.writesSeen !== p.writes) {
        await rebuild(pool, featureSet, p);
        read.partitionsRebuilt++;
        const again = (await plan(pool, featureSet, { start: p.rangeStart, end: p.rangeEnd })).partitions.find(
          (x) => x.rangeStart === p.rangeStart,
        );
        p.stored = again?.stored ?? null;
        p.writes = again?.writes ?? p.writes;
      }
      const h = p.stored ? histogramFromProfile(specs, await storedProfile(pool, featureSet, p, features)) : undefined;
      if (h) {
        addHistogram(total, h);
        read.partitionsFromProfiles++;
        fromProfiles = true;
      } else addHistogram(total, await exactPiece(p.rangeStart, p.rangeEnd, p.stored ? 'unanswerable' : 'missing'));
      continue;
    }
    if (whole && pe <= closedBefore) {
      addHistogram(total, await exactPiece(p.rangeStart, p.rangeEnd, 'missing'));
      continue;
    }
    // open, or only partly inside the window: whole hours from the shared hourly profiles
    const first = Math.ceil(start / HOUR) * HOUR;
    const last = Math.floor(end / HOUR) * HOUR;
    if (first >= last) {
      addHistogram(total, await exactPiece(iso(start), iso(end), 'edge'));
      continue;
    }
    if (start < first) addHistogram(total, await exactPiece(iso(start), iso(first), 'edge'));
    if (last < end) addHistogram(total, await exactPiece(iso(last), iso(end), 'edge'));
    const counted = { rows: 0 };
    const { slices } = await openProfile(pool, featureSet, p, counted);
    read.rowsScanned += counted.rows;
    let answered = true;
    const part = emptyHistogram(specs);
    for (const [at, profile] of slices) {
      if (at < first || at >= last) continue;
      const h = histogramFromProfile(specs, profile);
      if (!h) {
        answered = false;
        break;
      }
      addHistogram(part, h);
    }
    if (answered) {
      addHistogram(total, part);
      read.partitionsFromOpenProfiles++;
      fromProfiles = true;
    } else addHistogram(total, await exactPiece(iso(first), iso(last), 'unanswerable'));
  }
  read.method = fromProfiles ? 'profiles' : 'exact';
  return { histogram: total, read };
}
