/**
 * The pure-TypeScript scorer against H2O itself: every algorithm and family it serves is trained on
 * the stack's H2O, then 3,000 scoring rows with missing values, unseen levels and out-of-range values
 * are predicted three ways: the cluster (/3/Predictions), h2o-genmodel (PredictCsv, the stack's jar)
 * and `tsx src/cli/index.ts score`. Labels must be equal and every number within 1e-9.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { sanitizeH2OId } from '../../src/h2o/ids';
import { cleanupTrainingRun } from '../../src/h2o/training';
import { uniqueName } from '../helpers/temporal';
import { clusterPredictions, execFileAsync, genmodelPredictions, parsePredictions, PARITY_SPECS, prepareFixtures, trainFixture, type Fixtures } from '../helpers/mojo-fixtures';

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
  it.each(PARITY_SPECS.map((s) => s.name))('%s', async (name) => {
    const { modelId, mojo } = trained.get(name)!;
    const ours = join(dir, `${name}.ours.csv`);
    await execFileAsync('npx', ['tsx', 'src/cli/index.ts', 'score', '--mojo', mojo, '--input', f.scoringCsv, '--output', ours]);
    const genmodel = await genmodelPredictions(f, mojo, join(dir, `${name}.genmodel.csv`));
    const cluster = await clusterPredictions(f, modelId);
    const oursCsv = readFileSync(ours, 'utf8');
    const vsGenmodel = compare(oursCsv, genmodel, 'genmodel');
    const vsCluster = compare(oursCsv, cluster, 'cluster');
    console.log(`${name}: max |diff| vs genmodel ${vsGenmodel.toExponential(2)}, vs cluster ${vsCluster.toExponential(2)} over ${parsePredictions(oursCsv).rows.length} rows`);
    expect(vsGenmodel).toBeLessThanOrEqual(TOLERANCE);
    expect(vsCluster).toBeLessThanOrEqual(TOLERANCE);
  }, 120_000);
});
