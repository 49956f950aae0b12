/**
 * MOJO fixtures made with the stack's real H2O: a seeded synthetic dataset (numeric and categorical
 * features, a large-domain categorical for big bitset splits, missing values), models trained on it,
 * their MOJOs on disk, and the two references the scorer must match: the cluster's /3/Predictions and
 * h2o-genmodel's PredictCsv (the jar the stack runs). Used by the parity test and bench/serve.bench.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { text } from 'node:stream/consumers';
import type { H2OParameterValue } from '../../src/shared/training-spec';
import type { Algorithm } from '../../src/shared/algorithms';
import { H2OClient } from '../../src/h2o/client';
import { pollJob } from '../../src/h2o/jobs';
import { downloadMojoTo } from '../../src/h2o/mojo';
import { h2oJar } from '../../src/stack/h2o';
import { stackContext } from '../../src/stack/cli';
import { loadConfig } from '../../src/config';
import { prng } from './prng';

const run = promisify(execFile);

export const FEATURES = ['x1', 'x2', 'x3', 'c1', 'c2', 'c3'] as const;
export const RESPONSES = ['y_bin', 'y_multi', 'y_reg', 'y_count', 'y_pos'] as const;
type Response = (typeof RESPONSES)[number];
const C1 = ['a', 'b', 'c', 'd', 'e'];
const C2 = Array.from({ length: 40 }, (_, i) => `L${String(i).padStart(2, '0')}`);
const C3 = ['north', 'south', 'east'];

export interface Dataset {
  header: string[];
  rows: string[][];
}

/**
 * `rows` rows; with `scoring`, more missing values everywhere plus unseen levels ("zz", "L99", "west")
 * and values outside the training range.
 */
export function dataset(rows: number, seed: number, scoring: boolean): Dataset {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const normal = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const na = scoring ? 0.1 : 0.04;
  const out: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const x1 = normal() * (scoring && r() < 0.05 ? 6 : 1);
    const x2 = r() * 10;
    const x3 = Math.floor(r() * 21);
    const c1 = scoring && r() < 0.05 ? 'zz' : pick(C1);
    const c2 = scoring && r() < 0.05 ? 'L99' : pick(C2);
    const c3 = scoring && r() < 0.03 ? 'west' : pick(C3);
    const c2i = C2.indexOf(c2);
    const eta =
      0.8 * x1 -
      0.3 * x2 +
      0.1 * x3 +
      (c1 === 'a' || c1 === 'c' ? 1 : -0.5) +
      (c2i >= 0 && c2i % 3 === 0 ? 0.7 : 0) +
      (c3 === 'east' ? 0.4 : 0);
    const yBin = r() < 1 / (1 + Math.exp(-eta)) ? 'yes' : 'no';
    const yMulti = eta + normal() * 0.5 > 1 ? 'red' : eta + normal() * 0.5 > -0.5 ? 'green' : 'blue';
    const yReg = 3 * x1 + x2 - 0.2 * x3 + (c1 === 'b' ? 2 : 0) + normal();
    const mean = Math.exp(0.3 * eta);
    let yCount = 0;
    for (let p = Math.exp(-mean), s = p, u = r(); u > s && yCount < 50;) {
      yCount++;
      p *= mean / yCount;
      s += p;
    }
    const yPos = mean * (0.5 + r());
    const cell = (v: string): string => (r() < na ? '' : v);
    out.push([
      cell(x1.toFixed(4)),
      cell(x2.toFixed(3)),
      cell(String(x3)),
      cell(c1),
      cell(c2),
      cell(c3),
      yBin,
      yMulti,
      yReg.toFixed(4),
      String(yCount),
      yPos.toFixed(4),
    ]);
  }
  return { header: [...FEATURES, ...RESPONSES], rows: out };
}

export function toCsv(d: Dataset, columns: readonly string[] = d.header): string {
  const idx = columns.map((c) => d.header.indexOf(c));
  return `${[columns.join(','), ...d.rows.map((row) => idx.map((i) => row[i]).join(','))].join('\n')}\n`;
}

const TYPES = {
  x1: 'Numeric',
  x2: 'Numeric',
  x3: 'Numeric',
  c1: 'Enum',
  c2: 'Enum',
  c3: 'Enum',
  y_bin: 'Enum',
  y_multi: 'Enum',
  y_reg: 'Numeric',
  y_count: 'Numeric',
  y_pos: 'Numeric',
} as const;

export interface FixtureSpec {
  name: string;
  /** deeplearning: an algorithm the platform never trains, for the scorer's refusal test */
  algorithm: Algorithm | 'deeplearning';
  response: Response;
  params: Record<string, H2OParameterValue>;
}

/** Every algorithm and family the scorer serves, small enough to train in seconds. */
export const PARITY_SPECS: FixtureSpec[] = [
  {
    name: 'gbm_bernoulli',
    algorithm: 'gbm',
    response: 'y_bin',
    params: { distribution: 'bernoulli', ntrees: 30, max_depth: 5 },
  },
  {
    name: 'gbm_multinomial',
    algorithm: 'gbm',
    response: 'y_multi',
    params: { distribution: 'multinomial', ntrees: 20, max_depth: 5 },
  },
  {
    name: 'gbm_gaussian',
    algorithm: 'gbm',
    response: 'y_reg',
    params: { distribution: 'gaussian', ntrees: 30, max_depth: 5 },
  },
  {
    name: 'gbm_poisson',
    algorithm: 'gbm',
    response: 'y_count',
    params: { distribution: 'poisson', ntrees: 30, max_depth: 4 },
  },
  {
    name: 'gbm_gamma',
    algorithm: 'gbm',
    response: 'y_pos',
    params: { distribution: 'gamma', ntrees: 30, max_depth: 4 },
  },
  {
    name: 'gbm_tweedie',
    algorithm: 'gbm',
    response: 'y_pos',
    params: { distribution: 'tweedie', tweedie_power: 1.5, ntrees: 30, max_depth: 4 },
  },
  { name: 'drf_binomial', algorithm: 'drf', response: 'y_bin', params: { ntrees: 20, max_depth: 8 } },
  {
    name: 'drf_binomial_double_trees',
    algorithm: 'drf',
    response: 'y_bin',
    params: { ntrees: 20, max_depth: 8, binomial_double_trees: true },
  },
  { name: 'drf_multinomial', algorithm: 'drf', response: 'y_multi', params: { ntrees: 20, max_depth: 8 } },
  { name: 'drf_regression', algorithm: 'drf', response: 'y_reg', params: { ntrees: 20, max_depth: 10 } },
  { name: 'glm_binomial', algorithm: 'glm', response: 'y_bin', params: { family: 'binomial', lambda: 0.001 } },
  { name: 'glm_gaussian', algorithm: 'glm', response: 'y_reg', params: { family: 'gaussian', lambda: 0.001 } },
  { name: 'glm_multinomial', algorithm: 'glm', response: 'y_multi', params: { family: 'multinomial', lambda: 0.001 } },
  { name: 'glm_poisson', algorithm: 'glm', response: 'y_count', params: { family: 'poisson', lambda: 0.001 } },
];

export interface Fixtures {
  h2o: H2OClient;
  dir: string;
  jar: string;
  /** H2O's frame of the scoring rows */
  scoringFrame: string;
  scoringCsv: string;
  trainFrame: string;
  prefix: string;
}

/** Uploads and parses a CSV with the dataset's declared column types. */
export async function uploadFrame(h2o: H2OClient, frame: string, csv: string): Promise<void> {
  const columns = csv.slice(0, csv.indexOf('\n')).split(',') as (keyof typeof TYPES)[];
  await h2o.postFile(`${frame}_raw`, Buffer.from(csv));
  const job = await h2o.parse({
    sourceFrames: [`${frame}_raw`],
    destinationFrame: frame,
    columnTypes: columns.map((c) => TYPES[c]),
  });
  await pollJob(h2o, job.key.name);
}

export async function prepareFixtures(
  dir: string,
  prefix: string,
  opts: { trainRows: number; scoreRows: number },
): Promise<Fixtures> {
  mkdirSync(dir, { recursive: true });
  const h2o = new H2OClient(loadConfig().h2o.url);
  const trainFrame = `${prefix}__train`;
  const scoringFrame = `${prefix}__score`;
  await uploadFrame(h2o, trainFrame, toCsv(dataset(opts.trainRows, 7, false)));
  const scoringCsv = join(dir, 'scoring.csv');
  const csv = toCsv(dataset(opts.scoreRows, 11, true), FEATURES);
  writeFileSync(scoringCsv, csv);
  await uploadFrame(h2o, scoringFrame, csv);
  return { h2o, dir, jar: h2oJar(stackContext(() => {})), scoringFrame, scoringCsv, trainFrame, prefix };
}

/** Trains one spec on the fixture frame and writes its MOJO; returns the H2O model id and the path. */
export async function trainFixture(f: Fixtures, spec: FixtureSpec): Promise<{ modelId: string; mojo: string }> {
  const modelId = `${f.prefix}__${spec.name}`;
  const job = await f.h2o.buildModel(spec.algorithm as Algorithm, {
    model_id: modelId,
    training_frame: f.trainFrame,
    response_column: spec.response,
    ignored_columns: RESPONSES.filter((r) => r !== spec.response),
    seed: 42,
    ...spec.params,
  });
  await pollJob(f.h2o, job.key.name);
  const file = await downloadMojoTo(f.h2o, modelId, join(f.dir, `${spec.name}.zip`));
  return { modelId, mojo: file.path };
}

/** The cluster's predictions of the scoring frame, as CSV text (exact doubles). */
export async function clusterPredictions(f: Fixtures, modelId: string): Promise<string> {
  const frame = `${modelId}_preds`;
  await f.h2o.predict(modelId, f.scoringFrame, frame);
  try {
    return await text(await f.h2o.downloadFrame(frame));
  } finally {
    await f.h2o.deleteFrame(frame);
  }
}

/** h2o-genmodel's PredictCsv on the scoring CSV, with --decimal; returns the output CSV text. */
export async function genmodelPredictions(f: Fixtures, mojo: string, out: string): Promise<string> {
  await run(
    'java',
    [
      '-cp',
      f.jar,
      'hex.genmodel.tools.PredictCsv',
      '--mojo',
      mojo,
      '--input',
      f.scoringCsv,
      '--output',
      out,
      '--decimal',
    ],
    { maxBuffer: 16 << 20 },
  );
  const { readFile } = await import('node:fs/promises');
  return readFile(out, 'utf8');
}

/** Parses a predictions CSV into its header and rows of cells (quotes stripped). */
export function parsePredictions(csv: string): { header: string[]; rows: string[][] } {
  const lines = csv
    .trim()
    .split('\n')
    .map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')));
  return { header: lines[0]!, rows: lines.slice(1) };
}

export { run as execFileAsync };
