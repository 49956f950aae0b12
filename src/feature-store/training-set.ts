/**
 * The training set: a point-in-time join of the feature store, streamed to H2O as two frames
 * (train and validation). Rows go PostgreSQL → COPY TO STDOUT (CSV) → PostFile → Parse, never
 * through Temporal payloads; the activity returns frame ids, row counts and column types.
 *
 * Point-in-time: every label row (a row of the label feature set in the window that has the target)
 * gets the latest row of the feature set at or before its event time, so no feature from the future
 * leaks into training. The split is by a hash of the entity id: deterministic across retries, and an
 * entity's rows are all on one side, so validation measures generalisation to unseen entities.
 */
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { to as copyTo } from 'pg-copy-streams';
import type { Config } from '../config';
import { H2OClient, type H2OColumnType } from '../h2o/client';
import { trainingRunIds } from '../h2o/ids';
import { pollJob } from '../h2o/jobs';
import { inTransaction } from '../postgres';
import { ValidationError } from '../shared/errors';
import { featureKind } from '../shared/feature-kind';
import { CLASSIFICATION_METRICS, type ChampionMetric } from '../shared/metrics';
import { timeWindow, type TimeWindow } from '../shared/time-window';
import { trainingOptions } from '../shared/training-spec';
import { parse, text } from '../shared/validation';

export interface ExtractTrainingSetInput {
  /** the training run's workflow id and run id: frame ids derive from them */
  workflowId: string;
  runId?: string;
  featureSet: string;
  /** rows that carry the target @default featureSet */
  labelFeatureSet?: string;
  target: string;
  window: TimeWindow;
  /** feature names; @default every key of the feature rows except the target */
  features?: string[];
  /** classification metrics make the target categorical (Enum) */
  metric: ChampionMetric;
  /** share of entities held out for validation, (0, 1) @default 0.2 */
  validationFraction?: number;
  /** salts the entity hash of the split @default 0 */
  seed?: number;
}

export interface TrainingColumn {
  name: string;
  type: 'Numeric' | 'Enum';
}

export interface ExtractTrainingSetOutput {
  trainFrame: string;
  validationFrame: string;
  rows: { train: number; validation: number };
  /** feature columns in frame order (the target is the last frame column) */
  features: TrainingColumn[];
  target: TrainingColumn;
  /** keys left out: JSON objects or arrays, which have no column type */
  skippedFeatures: string[];
}

/** The spec limits of src/shared/training-spec.ts, checked again at the activity (a caller may not be our workflow). */
const extractInput = z.object({
  workflowId: text(),
  runId: text().optional(),
  window: timeWindow,
  featureSet: trainingOptions.featureSet,
  labelFeatureSet: trainingOptions.labelFeatureSet,
  target: trainingOptions.target,
  features: trainingOptions.features,
  metric: trainingOptions.metric,
  validationFraction: trainingOptions.validationFraction,
  seed: trainingOptions.seed,
});

/** Called while rows stream, with the bytes sent so far (the activity heartbeats here). */
export type ExtractProgress = (stage: string, bytes: number) => void;

/** Fills the session's temp table `training_rows` with the point-in-time join; returns nothing (see counts). */
async function materialize(db: PoolClient, input: ExtractTrainingSetInput): Promise<void> {
  await db.query(`CREATE TEMP TABLE training_rows (
      entity_id text NOT NULL, event_time timestamptz NOT NULL, label jsonb NOT NULL, features jsonb, validation boolean NOT NULL
    ) ON COMMIT DROP`);
  // md5 of (seed, entity) mapped to [0,1): stable across PostgreSQL versions, unlike hashtext().
  await db.query(
    `INSERT INTO training_rows
     SELECT l.entity_id, l.event_time, l.features -> $3, f.features,
            (('x' || substr(md5($6 || ':' || l.entity_id), 1, 8))::bit(32)::bigint / 4294967296.0) < $7
       FROM features.feature_values l
       LEFT JOIN LATERAL (
         SELECT fv.features FROM features.feature_values fv
          WHERE fv.feature_set = $2 AND fv.entity_id = l.entity_id
            AND fv.event_time <= l.event_time
            AND fv.event_time < $5  -- a constant bound, so the planner prunes later partitions
          ORDER BY fv.event_time DESC LIMIT 1) f ON true
      WHERE l.feature_set = $1 AND l.event_time >= $4 AND l.event_time < $5
        AND l.features ? $3 AND jsonb_typeof(l.features -> $3) <> 'null'`,
    [
      input.labelFeatureSet ?? input.featureSet,
      input.featureSet,
      input.target,
      input.window.start,
      input.window.end,
      String(input.seed ?? 0),
      input.validationFraction ?? 0.2,
    ],
  );
}

/** Column types from the JSON types of the joined rows, by the shared rule (src/shared/feature-kind.ts). */
async function inferColumns(
  db: PoolClient,
  input: ExtractTrainingSetInput,
): Promise<{ features: TrainingColumn[]; target: TrainingColumn; skipped: string[] }> {
  const { rows } = await db.query<{ key: string; types: string[] }>(
    `SELECT e.key, array_agg(DISTINCT jsonb_typeof(e.value)) AS types
       FROM training_rows t, jsonb_each(t.features) e
      WHERE jsonb_typeof(e.value) <> 'null'
      GROUP BY e.key ORDER BY e.key`,
  );
  const typesOf = new Map(rows.map((r) => [r.key, r.types]));
  const wanted = input.features ?? [...typesOf.keys()].filter((k) => k !== input.target);
  const features: TrainingColumn[] = [];
  const skipped: string[] = [];
  wanted.forEach((name, i) => {
    if (name === input.target)
      throw new ValidationError(
        `features[${i}]`,
        name,
        'is the target; a model cannot take its own label as a feature',
      );
    const types = typesOf.get(name);
    if (!types)
      throw new ValidationError(
        `features[${i}]`,
        name,
        `has no non-null value in feature set ${input.featureSet} for the label rows of the window`,
      );
    const kind = featureKind(types);
    if (kind === 'unsupported') {
      if (input.features)
        throw new ValidationError(
          `features[${i}]`,
          name,
          'holds JSON objects or arrays; only numbers, strings and booleans can be columns',
        );
      skipped.push(name);
      return;
    }
    features.push({ name, type: kind === 'numeric' ? 'Numeric' : 'Enum' });
  });
  if (features.length === 0)
    throw new ValidationError(
      'features',
      input.features ?? [],
      `no usable feature in feature set ${input.featureSet} for the window`,
    );
  const labels = await db.query<{ types: string[] }>(
    'SELECT array_agg(DISTINCT jsonb_typeof(label)) AS types FROM training_rows',
  );
  const labelTypes = labels.rows[0]?.types ?? [];
  const numericTarget = featureKind(labelTypes) === 'numeric' && !CLASSIFICATION_METRICS.has(input.metric);
  return { features, target: { name: input.target, type: numericTarget ? 'Numeric' : 'Enum' }, skipped };
}

/** The COPY statement for one side of the split (COPY takes no bind parameters: literals are escaped). */
function copySql(db: PoolClient, columns: TrainingColumn[], target: TrainingColumn, validation: boolean): string {
  const select = columns.map((c) => `t.features ->> ${db.escapeLiteral(c.name)} AS ${db.escapeIdentifier(c.name)}`);
  select.push(`t.label #>> '{}' AS ${db.escapeIdentifier(target.name)}`);
  return `COPY (SELECT ${select.join(', ')} FROM training_rows t WHERE t.validation = ${validation} ORDER BY t.entity_id, t.event_time)
          TO STDOUT WITH (FORMAT csv, HEADER true)`;
}

async function uploadSide(
  db: PoolClient,
  h2o: H2OClient,
  rawId: string,
  sql: string,
  stage: string,
  onProgress: ExtractProgress,
): Promise<void> {
  const stream = db.query(copyTo(sql));
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    onProgress(stage, bytes);
  });
  try {
    await h2o.postFile(rawId, stream);
  } catch (err) {
    stream.destroy();
    throw err;
  }
}

/**
 * Extracts the training set and parses it into H2O frames. Idempotent: frames from an earlier attempt
 * are deleted and written again from the same rows.
 */
export async function extractTrainingSet(
  deps: { config: Config; pool: Pool },
  input: ExtractTrainingSetInput,
  onProgress: ExtractProgress = () => {},
): Promise<ExtractTrainingSetOutput> {
  parse(extractInput, input);
  const h2o = new H2OClient(deps.config.h2o.url);
  const ids = trainingRunIds(input.workflowId, input.runId);
  const sides = [
    { frame: ids.trainFrame, raw: `${ids.trainFrame}_raw`, validation: false },
    { frame: ids.validationFrame, raw: `${ids.validationFrame}_raw`, validation: true },
  ];
  for (const side of sides) {
    await h2o.deleteFrame(side.frame);
    await h2o.deleteKey(side.raw);
  }

  // The training set is materialised and streamed out inside one transaction (a temporary table);
  // H2O parses it after the connection is back in the pool.
  const db = await deps.pool.connect();
  let extracted;
  try {
    extracted = await inTransaction(db, async () => {
      await materialize(db, input);
      const counts = await db.query<{ train: number; validation: number }>(
        'SELECT count(*) FILTER (WHERE NOT validation)::int AS train, count(*) FILTER (WHERE validation)::int AS validation FROM training_rows',
      );
      const rows = counts.rows[0]!;
      if (rows.train === 0 || rows.validation === 0) {
        throw new ValidationError(
          'window',
          input.window,
          `gives ${rows.train} training and ${rows.validation} validation rows of ${input.labelFeatureSet ?? input.featureSet} with target ${input.target}; both need at least one`,
        );
      }
      const { features, target, skipped } = await inferColumns(db, input);
      for (const side of sides) {
        await uploadSide(
          db,
          h2o,
          side.raw,
          copySql(db, features, target, side.validation),
          side.validation ? 'validation' : 'train',
          onProgress,
        );
      }
      return { rows, features, target, skipped };
    });
  } catch (err) {
    db.release(err instanceof Error ? err : undefined);
    throw err;
  }
  db.release();
  const { rows, features, target, skipped } = extracted;

  const columnTypes: H2OColumnType[] = [...features.map((f) => f.type), target.type];
  const jobs = await Promise.all(
    sides.map((side) => h2o.parse({ sourceFrames: [side.raw], destinationFrame: side.frame, columnTypes })),
  );
  await Promise.all(
    jobs.map((job) =>
      pollJob(h2o, job.key.name, {
        intervalMs: deps.config.training.pollIntervalMs,
        onPoll: (j) => onProgress('parse', j.progress),
      }),
    ),
  );
  for (const [i, side] of sides.entries()) {
    const frame = await h2o.frame(side.frame);
    const expected = side.validation ? rows.validation : rows.train;
    if (frame.rows !== expected)
      throw new Error(`H2O frame ${side.frame} has ${frame.rows} rows, but ${expected} were sent (side ${i})`);
  }
  return {
    trainFrame: ids.trainFrame,
    validationFrame: ids.validationFrame,
    rows,
    features,
    target,
    skippedFeatures: skipped,
  };
}
