/**
 * `npm run bench:drift`: the drift check over 1,000,000 and 5,000,000 rows × 20 features (16 numeric,
 * 4 categorical), against COPY of the same window's JSONB to a null sink in the same run: the
 * floor for any exact check, since every row must leave the table once.
 *
 * Rows are generated in SQL (generate_series) into a dedicated feature set in today's and yesterday's
 * partitions, and deleted at the end. Wall time and the peak RSS of this process (sampled every 20 ms
 * while the check runs; run with --expose-gc so each measurement starts from a collected heap) are
 * measured per window size for 0 (main thread), 1 and 2 worker threads; the last line has the
 * default's. At 1M rows it also times the two other readers
 * (SQL histogram, pg-cursor streaming) for docs/DRIFT.md.
 *
 * Last line: `drift: 1M rows 1.4x of COPY-out, 5M rows 1.4x, peak RSS 130 MB -> 135 MB`.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool } from 'pg';
import Cursor from 'pg-cursor';
import { to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../src/config';
import { buildReferenceProfile } from '../src/feature-store/reference-profile';
import {
  DEFAULT_THREADS,
  sqlWindowHistogram,
  streamWindowHistogram,
  windowSelect,
  type WindowQuery,
} from '../src/feature-store/window-histogram';
import { createPool } from '../src/postgres';
import { HistogramAccumulator, binSpecOf, evaluateDrift, type BinSpec } from '../src/shared/drift';
import type { TimeWindow } from '../src/shared/time-window';
import type { ReferenceProfile } from '../src/shared/types';

const NUMERIC = Array.from({ length: 16 }, (_, i) => `n${i + 1}`);
const CATEGORICAL = ['c1', 'c2', 'c3', 'c4'];
const FEATURES = [...NUMERIC, ...CATEGORICAL];
const HOUR = 3_600_000;
/** Thread counts of `streamWindowHistogram` timed besides its default (0 = main thread). */
const THREADS = [0, 1, 2];
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

function log(line: string): void {
  console.log(`[bench:drift] ${line}`);
}

/** Inserts rows [from, to) with event times spread evenly over `window`, in batches. */
async function generate(
  pool: Pool,
  featureSet: string,
  window: TimeWindow,
  from: number,
  to: number,
  shift: number,
): Promise<void> {
  const numeric = NUMERIC.map(
    (f, i) => `'${f}', round((random() * ${100 + i * 10} + ${shift * (i + 1)})::numeric, 2)`,
  ).join(', ');
  const categorical = CATEGORICAL.map(
    (f) => `'${f}', (ARRAY['a','b','c','d','e','f'])[1 + floor(random() * ${shift > 0 ? 6 : 5})::int]`,
  ).join(', ');
  const batch = 500_000;
  for (let start = from; start < to; start += batch) {
    const end = Math.min(to, start + batch);
    await pool.query(
      `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
       SELECT $1, 'e' || g, $2::timestamptz + ((g - $4)::float8 / ($5 - $4)) * ($3::timestamptz - $2::timestamptz), jsonb_build_object(${numeric}, ${categorical}), 'bench-drift'
         FROM generate_series($6::bigint, $7::bigint - 1) g`,
      [featureSet, window.start, window.end, from, to, start, end],
    );
    log(`  inserted ${end - from} / ${to - from} rows`);
  }
}

/** Runs `work` while sampling this process's RSS; returns its wall time and the peak. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakRss: number }> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = process.hrtime.bigint();
  try {
    const result = await work();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, seconds, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

/** COPY the window's JSONB to a sink that drops every byte. */
async function copyOut(pool: Pool, query: WindowQuery): Promise<number> {
  const client = await pool.connect();
  let bytes = 0;
  try {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done();
      },
    });
    await pipeline(client.query(copyTo(`COPY (${windowSelect(client, query)}) TO STDOUT`)), sink);
  } finally {
    client.release();
  }
  return bytes;
}

/** The third reader: a pg-cursor over the rows, JSONB parsed by pg, binned in Node. */
async function cursorHistogram(pool: Pool, query: WindowQuery, specs: Record<string, BinSpec>) {
  const client = await pool.connect();
  const acc = new HistogramAccumulator(specs);
  try {
    const cursor = client.query(
      new Cursor(
        'SELECT features FROM features.feature_values WHERE feature_set = $1 AND event_time >= $2 AND event_time < $3',
        [query.featureSet, query.window.start, query.window.end],
      ),
    );
    for (;;) {
      const rows = (await cursor.read(10_000)) as Array<{ features: Record<string, unknown> }>;
      if (rows.length === 0) break;
      for (const r of rows) acc.add(r.features);
    }
    await cursor.close();
  } finally {
    client.release();
  }
  return acc.result();
}

/** The drift check the sensor runs: stream the window's histogram, then evaluate PSI. */
async function driftCheck(pool: Pool, query: WindowQuery, reference: ReferenceProfile, threads?: number) {
  const specs = Object.fromEntries(Object.entries(reference.features).map(([f, r]) => [f, binSpecOf(r)]));
  const histogram = await streamWindowHistogram(pool, query, specs, { threads });
  return evaluateDrift(reference, histogram);
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  // the harness's own pool, as the owner: its baseline tables, ANALYZE and cleanup are DDL the worker's role may not run
  const pool = createPool({ ...cfg.postgres, url: cfg.postgres.migrateUrl }, 'mlops-bench-drift');
  const featureSet = `bench-drift-${randomBytes(3).toString('hex')}`;
  // today's and yesterday's partitions (the open ones, written without a GIN index)
  const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const w1: TimeWindow = {
    start: new Date(end - 30 * HOUR).toISOString(),
    end: new Date(end - 24 * HOUR).toISOString(),
  };
  const w5: TimeWindow = { start: w1.start, end: new Date(end).toISOString() };
  const refWindow: TimeWindow = { start: w1.start, end: new Date(Date.parse(w1.start) + 0.6 * HOUR).toISOString() }; // ~100k rows
  try {
    log(`generating 5,000,000 rows x ${FEATURES.length} features into ${featureSet} (SQL generate_series)`);
    const t0 = Date.now();
    await generate(pool, featureSet, w1, 0, 1_000_000, 0);
    await generate(pool, featureSet, { start: w1.end, end: w5.end }, 1_000_000, 5_000_000, 3);
    await pool.query('ANALYZE features.feature_values');
    log(`generated in ${Math.round((Date.now() - t0) / 1000)} s`);
    const reference = await buildReferenceProfile(pool, { featureSet, window: refWindow }, FEATURES, {
      bins: 10,
      maxCategories: 50,
    });
    log(`reference: ${reference.rows} rows`);
    const specs = Object.fromEntries(Object.entries(reference.features).map(([f, r]) => [f, binSpecOf(r)]));

    const results: Record<string, { copy: number; check: number; rss: number }> = {};
    for (const [label, window, rows] of [
      ['1M', w1, 1_000_000],
      ['5M', w5, 5_000_000],
    ] as const) {
      const query = { featureSet, window };
      await pool.query(
        'SELECT count(*) FROM features.feature_values WHERE feature_set = $1 AND event_time >= $2 AND event_time < $3',
        [featureSet, window.start, window.end],
      ); // warm the cache
      const copy = await measure(() => copyOut(pool, query));
      log(`${label}: COPY-out ${copy.seconds.toFixed(2)} s (${mb(copy.result)} MB of JSON text)`);
      // every thread count for docs/DRIFT.md; the default reader's figures make the last line
      for (const threads of THREADS) {
        const check = await measure(() => driftCheck(pool, query, reference, threads));
        if (check.result.currentRows !== rows)
          throw new Error(`${label}: the check counted ${check.result.currentRows} rows, expected ${rows}`);
        const how = `${threads === 0 ? 'main thread' : `${threads} worker thread(s)`}${threads === DEFAULT_THREADS ? ', the default' : ''}`;
        log(
          `${label}: drift check (COPY stream, ${how}) ${check.seconds.toFixed(2)} s = ${(check.seconds / copy.seconds).toFixed(2)}x, peak RSS ${mb(check.peakRss)} MB, verdict ${check.result.verdict}, max PSI ${check.result.maxPsi.toFixed(3)}`,
        );
        if (threads === DEFAULT_THREADS)
          results[label] = { copy: copy.seconds, check: check.seconds, rss: check.peakRss };
      }
    }
    // The other two readers run after both checks: pg-cursor's heap (about 200 MB) would otherwise
    // still be held by V8 during the 5M check and show up as its RSS.
    const query1 = { featureSet, window: w1 };
    const copy1 = results['1M']!.copy;
    const sql = await measure(() => sqlWindowHistogram(pool, query1, specs));
    log(
      `1M: SQL histogram (width_bucket + GROUP BY) ${sql.seconds.toFixed(2)} s = ${(sql.seconds / copy1).toFixed(2)}x of COPY-out`,
    );
    const cursor = await measure(() => cursorHistogram(pool, query1, specs));
    log(
      `1M: pg-cursor streaming ${cursor.seconds.toFixed(2)} s = ${(cursor.seconds / copy1).toFixed(2)}x of COPY-out, peak RSS ${mb(cursor.peakRss)} MB`,
    );
    if (JSON.stringify(sql.result) !== JSON.stringify(cursor.result))
      throw new Error('SQL and cursor histograms differ');
    const r1 = results['1M']!;
    const r5 = results['5M']!;
    console.log(
      `drift: 1M rows ${(r1.check / r1.copy).toFixed(1)}x of COPY-out, 5M rows ${(r5.check / r5.copy).toFixed(1)}x, peak RSS ${mb(r1.rss)} MB -> ${mb(r5.rss)} MB`,
    );
  } finally {
    log(`dropping ${featureSet}`);
    await pool.query('DELETE FROM features.feature_values WHERE feature_set = $1', [featureSet]);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
