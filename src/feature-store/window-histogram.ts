/**
 * Histograms of a feature-store window, read where the rows are, in memory that does not grow with
 * the window. Two readers with the same result:
 * - `streamWindowHistogram` (used by the sensor): COPY the window's JSONB out as a stream and bin each
 *   row in Node. PostgreSQL renders the text on one core while Node parses and bins on the other, so
 *   it runs close to the time of the COPY itself (docs/DRIFT.md has the numbers). Parsing and binning
 *   run on worker threads (threaded-histogram.ts) by default, or on the main thread with `threads: 0`.
 * - `sqlWindowHistogram`: the bins are computed by PostgreSQL (width_bucket on the stored edges,
 *   array_position on the categories) and only the counts come back. Kept for the benchmark.
 */
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { HistogramAccumulator, type BinSpec, type WindowHistogram } from '../shared/drift';
import type { TimeWindow } from '../shared/time-window';
import { threadedCopyHistogram } from './threaded-histogram';

export interface WindowQuery {
  featureSet: string;
  window: TimeWindow;
}

export interface HistogramOptions {
  /** called every `progressEvery` rows (e.g. an activity heartbeat) */
  onProgress?: (rows: number) => void;
  /** @default 100000 */
  progressEvery?: number;
  /**
   * Worker threads that JSON.parse and bin the COPY lines (threaded-histogram.ts); 0 does it on the
   * main thread. Same counts either way; docs/DRIFT.md has the timings behind the default.
   * @default DEFAULT_THREADS (2)
   */
  threads?: number;
}

/** Worker threads used when `threads` is not given (see HistogramOptions.threads). */
export const DEFAULT_THREADS = 2;

/** The SELECT of a window's features, with literals (COPY takes no bind parameters). */
export function windowSelect(
  client: Pick<PoolClient, 'escapeLiteral'>,
  query: WindowQuery,
  column = 'features',
): string {
  return `SELECT ${column} FROM features.feature_values WHERE feature_set = ${client.escapeLiteral(query.featureSet)} AND event_time >= ${client.escapeLiteral(query.window.start)}::timestamptz AND event_time < ${client.escapeLiteral(query.window.end)}::timestamptz`;
}

const NEWLINE = 0x0a;

/** COPY text format doubles backslashes; JSON text from jsonb has no raw tabs or newlines to undo. */
function decodeCopyLine(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('utf8', start, end);
  return text.includes('\\') ? text.replace(/\\\\/g, '\\') : text;
}

/** Streams the window through COPY and bins every row in Node (on worker threads unless `threads` is 0). */
export async function streamWindowHistogram(
  pool: Pool,
  query: WindowQuery,
  specs: Record<string, BinSpec>,
  options: HistogramOptions = {},
): Promise<WindowHistogram> {
  const every = options.progressEvery ?? 100_000;
  const threads = options.threads ?? DEFAULT_THREADS;
  const client = await pool.connect();
  try {
    const stream = client.query(copyTo(`COPY (${windowSelect(client, query)}) TO STDOUT`)) as AsyncIterable<Buffer>;
    if (threads <= 0) return await binOnMainThread(stream, specs, every, options.onProgress);
    // workers report per ~1 MB buffer (~4,000 rows): call onProgress when a multiple of `every` is passed
    let reported = 0;
    return await threadedCopyHistogram(stream, specs, threads, (rows) => {
      if (Math.floor(rows / every) === Math.floor(reported / every)) return;
      reported = rows;
      options.onProgress?.(rows);
    });
  } finally {
    client.release();
  }
}

/** The single-thread reader: split, JSON.parse and bin each line as the chunks arrive. */
async function binOnMainThread(
  stream: AsyncIterable<Buffer>,
  specs: Record<string, BinSpec>,
  every: number,
  onProgress?: (rows: number) => void,
): Promise<WindowHistogram> {
  const acc = new HistogramAccumulator(specs);
  let rows = 0;
  let rest: Buffer | undefined;
  for await (const chunk of stream) {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      acc.add(JSON.parse(decodeCopyLine(buf, start, nl)) as Record<string, unknown>);
      start = nl + 1;
      if (++rows % every === 0) onProgress?.(rows);
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
  }
  return acc.result();
}

/** One SQL expression per feature giving its bin number: 0…k value bins, -1 unseen, NULL null. */
function binExpression(spec: BinSpec, param: string, edgesParam: string): string {
  const v = `features->${param}`;
  if (spec.kind === 'numeric') {
    // width_bucket(x, asc thresholds) counts thresholds <= x; on negated edges that is #{e >= v}, so
    // k − it = #{e < v}: the bin (e_i, e_{i+1}] of binning.ts.
    return `CASE WHEN jsonb_typeof(${v}) = 'number' THEN cardinality(${edgesParam}::float8[]) - width_bucket(-((${v})::float8), ${edgesParam}::float8[]) END`;
  }
  return `CASE WHEN jsonb_typeof(${v}) IN ('string','number','boolean') THEN coalesce(array_position(${edgesParam}::text[], ${v} #>> '{}') - 1, -1) END`;
}

/** Bins the window in PostgreSQL and returns only the counts. */
export async function sqlWindowHistogram(
  pool: Pool,
  query: WindowQuery,
  specs: Record<string, BinSpec>,
): Promise<WindowHistogram> {
  const names = Object.keys(specs);
  const params: unknown[] = [query.featureSet, query.window.start, query.window.end];
  const exprs = names.map((name) => {
    const spec = specs[name]!;
    params.push(name);
    const nameParam = `$${params.length}::text`;
    // negated, ascending edges for width_bucket (see binExpression); categories as they are
    params.push(spec.kind === 'numeric' ? [...spec.edges].reverse().map((e) => -e) : spec.categories);
    return binExpression(spec, nameParam, `$${params.length}`);
  });
  const sql = `
    SELECT u.i::int AS feature, u.bin, count(*)::bigint AS n
      FROM features.feature_values fv
     CROSS JOIN LATERAL unnest(ARRAY[${exprs.join(', ')}]::int[]) WITH ORDINALITY AS u(bin, i)
     WHERE fv.feature_set = $1 AND fv.event_time >= $2::timestamptz AND fv.event_time < $3::timestamptz
     GROUP BY 1, 2`;
  const countSql = `SELECT count(*)::bigint AS rows FROM features.feature_values WHERE feature_set = $1 AND event_time >= $2::timestamptz AND event_time < $3::timestamptz`;
  const [bins, total] = await Promise.all([
    pool.query<{ feature: number; bin: number | null; n: number }>(sql, params),
    pool.query<{ rows: number }>(countSql, params.slice(0, 3)),
  ]);
  const acc = new HistogramAccumulator(specs).result();
  acc.rows = Number(total.rows[0]!.rows);
  for (const row of bins.rows) {
    const h = acc.features[names[row.feature - 1]!]!;
    const n = Number(row.n);
    if (row.bin === null) h.nulls += n;
    else if (row.bin === -1) h.unseen += n;
    else h.counts[row.bin]! += n;
  }
  return acc;
}
