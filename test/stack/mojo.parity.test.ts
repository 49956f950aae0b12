/**
 * The pure-TypeScript scorer against H2O itself: every algorithm and family it serves is trained on
 * the stack's H2O, then 3,000 scoring rows with missing values, unseen levels and out-of-range values
 * are predicted three ways: the cluster (/3/Predictions), h2o-genmodel (PredictCsv, the stack's jar)
 * and the scorer's batch path (scoreCsv, what `score` runs; one case runs the command as printed).
 * Labels must be equal and every number within 1e-9.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { sanitizeH2OId } from '../../src/h2o/ids';
import { cleanupTrainingRun } from '../../src/h2o/training';
import { writeGoldenRows } from '../../src/h2o/golden-rows';
import { checkGoldenRows } from '../../src/mojo/golden';
import { loadMojoFile } from '../../src/mojo/load';
import { scoreCsv } from '../../src/mojo/batch';
import { uniqueName } from '../helpers/temporal';
import {
  clusterPredictions,
  execFileAsync,
  genmodelPredictions,
  parsePredictions,
  PARITY_SPECS,
  prepareFixtures,
  trainFixture,
  type Fixtures,
} from '../helpers/mojo-fixtures';

const TOLERANCE = 1e-9;
const prefix = sanitizeH2OId(uniqueName('mojo_parity'));
const dir = join(loadConfig().stack.stateDir, 'test', prefix);
let f: Fixtures;
const trained = new Map<string, { modelId: string; mojo: string }>();

beforeAll(async () => {
  f = await prepareFixtures(dir, prefix, { trainRows: 4000, scoreRows: 3000 });
  // Two at a time: H2O trains them concurrently without starving the JVMs the test also starts.
  for (let i = 0; i < PARITY_SPECS.length; i += 2) {
    const batch = PARITY_SPECS.slice(i, i + 2);
    const results = await Promise.all(batch.map((s) => trainFixture(f, s)));
    batch.forEach((s, j) => trained.set(s.name, results[j]!));
  }
}, 600_000);

afterAll(async () => {
  if (f) await cleanupTrainingRun(f.h2o, prefix);
});

/** The largest difference between two predictions tables, after checking shape and labels. */
function compare(ours: string, theirs: string, who: string): number {
  const a = parsePredictions(ours);
  const b = parsePredictions(theirs);
  expect(a.header, `${who} header`).toEqual(b.header);
  expect(a.rows.length, `${who} rows`).toBe(b.rows.length);
  let worst = 0;
  const numeric = a.header.length === 1;
  a.rows.forEach((row, i) => {
    const other = b.rows[i]!;
    row.forEach((cell, j) => {
      if (j === 0 && !numeric) {
        expect(cell, `${who} label of row ${i + 1}`).toBe(other[0]);
        return;
      }
      const x = Number(cell);
      const y = Number(other[j]);
      expect(Number.isFinite(x), `row ${i + 1} col ${j}: ${cell}`).toBe(true);
      worst = Math.max(worst, Math.abs(x - y));
    });
  });
  return worst;
}

describe('MOJO scorer parity with h2o-genmodel and the cluster', () => {
  it.each(PARITY_SPECS.map((s) => s.name))(
    '%s',
    async (name) => {
      const { modelId, mojo } = trained.get(name)!;
      const ours = join(dir, `${name}.ours.csv`);
      const [stats, genmodel, cluster] = await Promise.all([
        loadMojoFile(mojo).then((model) => scoreCsv(model, f.scoringCsv, ours)),
        genmodelPredictions(f, mojo, join(dir, `${name}.genmodel.csv`)),
        clusterPredictions(f, modelId),
      ]);
      // The rows really hold what parity is about: missing values and unseen levels.
      expect(stats.rows).toBe(3000);
      expect(stats.missing).toBeGreaterThan(1000);
      expect(stats.unseen).toBeGreaterThan(200);
      const oursCsv = readFileSync(ours, 'utf8');
      const vsGenmodel = compare(oursCsv, genmodel, 'genmodel');
      const vsCluster = compare(oursCsv, cluster, 'cluster');
      console.log(
        `${name}: max |diff| vs genmodel ${vsGenmodel.toExponential(2)}, vs cluster ${vsCluster.toExponential(2)} over ${stats.rows} rows (${stats.missing} missing values, ${stats.unseen} unseen levels)`,
      );
      expect(vsGenmodel).toBeLessThanOrEqual(TOLERANCE);
      expect(vsCluster).toBeLessThanOrEqual(TOLERANCE);
    },
    120_000,
  );

  it('golden rows are written for every kind, negative regression values included, and the scorer reproduces them', async () => {
    for (const name of ['drf_regression', 'glm_gaussian', 'gbm_bernoulli', 'gbm_multinomial']) {
      const { modelId, mojo } = trained.get(name)!;
      const model = await loadMojoFile(mojo);
      const golden = await writeGoldenRows(f.h2o, {
        h2oModelId: modelId,
        frameId: f.scoringFrame,
        mojoPath: mojo,
        classes: model.classes,
        features: model.features,
        rows: 40,
      });
      expect(golden.rows, name).toHaveLength(40);
      if (!model.classes)
        expect(
          golden.rows.some((r) => r.expected[0]! < 0),
          name,
        ).toBe(true);
      expect(() => checkGoldenRows(model, golden, name)).not.toThrow();
    }
  }, 120_000);

  it('`tsx src/cli/index.ts score` writes the same file as PredictCsv, as docs/SCORING.md prints it (npx tsx)', async () => {
    const { mojo } = trained.get('gbm_multinomial')!;
    const out = join(dir, 'cli.csv');
    const { stderr } = await execFileAsync('npx', [
      'tsx',
      'src/cli/index.ts',
      'score',
      '--mojo',
      mojo,
      '--input',
      f.scoringCsv,
      '--output',
      out,
    ]);
    expect(stderr).toMatch(/scored 3000 rows with gbm \(Multinomial, multinomial, MOJO 1\.40\)/);
    expect(
      compare(readFileSync(out, 'utf8'), await genmodelPredictions(f, mojo, join(dir, 'cli.genmodel.csv')), 'genmodel'),
    ).toBeLessThanOrEqual(TOLERANCE);
  }, 120_000);
});
