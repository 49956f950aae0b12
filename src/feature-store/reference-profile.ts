/**
 * Builds a model version's reference profile from its training window: the kind of each feature
 * (by the JSON types of its values), the edges of numeric features (quantiles in SQL, repeated edges
 * collapsed), the categories of categorical ones, then one histogram pass for the shares.
 */
import type { Pool } from 'pg';
import {
  chooseCategories,
  dedupeEdges,
  quantileFractions,
  referenceFromHistogram,
  type BinSpec,
} from '../shared/drift';
import { featureKind } from '../shared/feature-kind';
import type { FeatureReference, ReferenceProfile } from '../shared/types';
import { streamWindowHistogram, type HistogramOptions, type WindowQuery } from './window-histogram';

export interface ReferenceOptions extends HistogramOptions {
  /** equal-frequency bins per numeric feature (10 = deciles) */
  bins: number;
  /** categories kept per categorical feature; rarer ones count as unseen */
  maxCategories: number;
}

const WHERE = `fv.feature_set = $1 AND fv.event_time >= $2::timestamptz AND fv.event_time < $3::timestamptz`;

/**
 * Each feature's kind by the rule training uses too (src/shared/feature-kind.ts), from the distinct
 * JSON types of its values in the window. A feature that is null everywhere is numeric with no edges:
 * one value bin, everything in the null bin. Objects and arrays have no bins: such a feature (never a
 * model input, training skips it) is binned by category, its objects counting as nulls.
 */
async function featureKinds(
  pool: Pool,
  query: WindowQuery,
  features: string[],
): Promise<Record<string, 'numeric' | 'categorical'>> {
  const { rows } = await pool.query<{ key: string; types: string[] }>(
    `SELECT e.key, array_agg(DISTINCT jsonb_typeof(e.value)) AS types
       FROM features.feature_values fv CROSS JOIN LATERAL jsonb_each(fv.features) e
      WHERE ${WHERE} AND e.key = ANY($4::text[]) AND jsonb_typeof(e.value) <> 'null'
      GROUP BY e.key`,
    [query.featureSet, query.window.start, query.window.end, features],
  );
  const kinds: Record<string, 'numeric' | 'categorical'> = {};
  for (const f of features) kinds[f] = 'numeric';
  for (const r of rows) kinds[r.key] = featureKind(r.types) === 'numeric' ? 'numeric' : 'categorical';
  return kinds;
}

/**
 * Quantile edges of numeric features. percentile_disc, not _cont: edges are values that occur, so a
 * feature with few distinct values (a 0/1 flag, many zeros) gets edges on those values and, after
 * dedupe, one bin per value instead of bins between values that no row can fall into.
 */
async function numericEdges(
  pool: Pool,
  query: WindowQuery,
  features: string[],
  bins: number,
): Promise<Record<string, number[]>> {
  if (features.length === 0) return {};
  const params: unknown[] = [query.featureSet, query.window.start, query.window.end, quantileFractions(bins)];
  const columns = features.map((f, i) => {
    params.push(f);
    const p = `$${params.length}::text`;
    return `percentile_disc($4::float8[]) WITHIN GROUP (ORDER BY (fv.features->>${p})::float8) FILTER (WHERE jsonb_typeof(fv.features->${p}) = 'number') AS q${i}`;
  });
  const { rows } = await pool.query<Record<string, number[] | null>>(
    `SELECT ${columns.join(',\n')} FROM features.feature_values fv WHERE ${WHERE}`,
    params,
  );
  const edges: Record<string, number[]> = {};
  features.forEach((f, i) => (edges[f] = dedupeEdges((rows[0]?.[`q${i}`] ?? []).map(Number))));
  return edges;
}

/**
 * A category's text as the sensor's reader sees it after JSON.parse: strings as they are, booleans
 * as true/false, numbers through float8 (shortest round-trip text, like JavaScript's String(n)).
 */
const CATEGORY = `CASE WHEN jsonb_typeof(e.value) = 'number' THEN (e.value::float8)::text ELSE e.value #>> '{}' END`;

/** The most frequent categories of categorical features (by their text). */
async function topCategories(
  pool: Pool,
  query: WindowQuery,
  features: string[],
  max: number,
): Promise<Record<string, string[]>> {
  if (features.length === 0) return {};
  const { rows } = await pool.query<{ key: string; category: string; n: number }>(
    `SELECT key, category, n FROM (
       SELECT e.key, ${CATEGORY} AS category, count(*)::bigint AS n,
              row_number() OVER (PARTITION BY e.key ORDER BY count(*) DESC, ${CATEGORY}) AS rank
         FROM features.feature_values fv CROSS JOIN LATERAL jsonb_each(fv.features) e
        WHERE ${WHERE} AND e.key = ANY($4::text[]) AND jsonb_typeof(e.value) IN ('string', 'number', 'boolean')
        GROUP BY 1, 2) ranked
      WHERE rank <= $5`,
    [query.featureSet, query.window.start, query.window.end, features, max],
  );
  const counts: Record<string, Array<[string, number]>> = {};
  for (const f of features) counts[f] = [];
  for (const r of rows) counts[r.key]!.push([r.category, Number(r.n)]);
  const result: Record<string, string[]> = {};
  for (const f of features) result[f] = chooseCategories(counts[f]!, max);
  return result;
}

/** The reference profile of `features` over a feature-store window. */
export async function buildReferenceProfile(
  pool: Pool,
  query: WindowQuery,
  features: string[],
  options: ReferenceOptions,
): Promise<ReferenceProfile> {
  const kinds = await featureKinds(pool, query, features);
  const numeric = features.filter((f) => kinds[f] === 'numeric');
  const categorical = features.filter((f) => kinds[f] === 'categorical');
  const [edges, categories] = await Promise.all([
    numericEdges(pool, query, numeric, options.bins),
    topCategories(pool, query, categorical, options.maxCategories),
  ]);
  const specs: Record<string, BinSpec> = {};
  for (const f of features)
    specs[f] =
      kinds[f] === 'numeric'
        ? { kind: 'numeric', edges: edges[f] ?? [] }
        : { kind: 'categorical', categories: categories[f] ?? [] };
  const histogram = await streamWindowHistogram(pool, query, specs, options);
  const references: Record<string, FeatureReference> = {};
  for (const f of features) references[f] = referenceFromHistogram(specs[f]!, histogram.features[f]!, histogram.rows);
  return { featureSet: query.featureSet, window: { ...query.window }, rows: histogram.rows, features: references };
}
