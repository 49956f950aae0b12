/**
 * bench:serve. Part 1: the pure-TypeScript scorer against h2o-genmodel on one thread, same MOJOs, same
 * 100,000 rows, in the same run. The models are trained on the stack's H2O: a GBM of 100 trees of depth
 * 6, a DRF of 50 trees of depth 12 and a GLM (binomial, with categoricals and missing values). Both
 * sides start from named string values (CSV cells), convert them and score; the JVM side is
 * EasyPredictModelWrapper in bench/java/ScoreBench.java, compiled here with the installed JDK against
 * the stack's h2o.jar and warmed up before it is timed. The figure is rows/s over rows/s.
 *
 * Part 2, the inference service (src/serving) in this process, the load generator (autocannon) in
 * another: single-row predictions of the GBM at a fixed concurrency against an empty route of the same
 * server (the framework's ceiling), with p99, in three alternating rounds after a warm-up of each, the
 * median of each side; 10,000-row requests scored on the worker-thread pool
 * against the same requests scored inline; and the RSS of a real `npm run serve` process serving 10
 * models.
 *
 *   npm run bench:serve [-- --rows 100000 --passes 3 --seconds 10]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config';
import { sanitizeH2OId } from '../src/h2o/ids';
import { cleanupTrainingRun } from '../src/h2o/training';
import { loadMojoFile } from '../src/mojo/load';
import { predsBuffer, toPrediction } from '../src/mojo/predict';
import { rowEncoder } from '../src/mojo/rows';
import type { MojoModel } from '../src/mojo/types';
import { prepareFixtures, trainFixture, type FixtureSpec } from '../test/helpers/mojo-fixtures';
import { httpFigures, type HttpFigures } from './serve-http';
import { intArg } from './args';

const run = promisify(execFile);

const SPECS: FixtureSpec[] = [
  { name: 'gbm', algorithm: 'gbm', response: 'y_bin', params: { ntrees: 100, max_depth: 6, min_rows: 1 } },
  { name: 'drf', algorithm: 'drf', response: 'y_bin', params: { ntrees: 50, max_depth: 12, min_rows: 1 } },
  { name: 'glm', algorithm: 'glm', response: 'y_bin', params: { family: 'binomial', lambda: 0.001 } },
];

/** The CSV's rows as records of their non-empty cells, the shape a JSON request body arrives in. */
function records(csv: string): Record<string, string>[] {
  const lines = csv.trim().split('\n');
  const header = lines[0]!.split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const r: Record<string, string> = {};
    header.forEach((h, i) => {
      if (cells[i]) r[h] = cells[i]!;
    });
    return r;
  });
}

function typescriptRowsPerSecond(
  model: MojoModel,
  rows: Record<string, string>[],
  warmup: number,
  passes: number,
): number {
  const encoder = rowEncoder(model);
  const row = new Float64Array(model.features.length);
  const preds = predsBuffer(model);
  const stats = { missing: 0, unseen: 0 };
  let sink = 0;
  const pass = (): void => {
    for (const r of rows) {
      encoder.encode((f) => r[f], row, stats);
      const p = toPrediction(model, model.score0(row, preds));
      sink += 'value' in p ? p.value : p.labelIndex;
    }
  };
  for (let p = 0; p < warmup; p++) pass();
  const started = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) pass();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink === 42.4242) console.log('');
  return (rows.length * passes) / seconds;
}

async function main(): Promise<void> {
  const rows = intArg('rows', 100_000);
  const passes = intArg('passes', 3);
  const prefix = sanitizeH2OId(`bench_serve_${Date.now()}`);
  const dir = join(loadConfig().stack.stateDir, 'bench', prefix);
  mkdirSync(dir, { recursive: true });
  console.log(
    `bench:serve: training ${SPECS.map((s) => s.name).join(', ')} on the stack's H2O; scoring ${rows} rows, ${passes} timed passes each side`,
  );
  const f = await prepareFixtures(dir, prefix, { trainRows: 20_000, scoreRows: rows });
  try {
    await run('javac', ['-cp', f.jar, '-d', dir, join(__dirname, 'java', 'ScoreBench.java')]);
    const data = records(readFileSync(f.scoringCsv, 'utf8'));
    const ratios: string[] = [];
    let worst = Number.POSITIVE_INFINITY;
    const mojos: Record<string, string> = {};
    for (const spec of SPECS) {
      const { mojo } = await trainFixture(f, spec);
      mojos[spec.name] = mojo;
      const { stdout } = await run(
        'java',
        ['-cp', `${f.jar}:${dir}`, 'ScoreBench', mojo, f.scoringCsv, '3', String(passes)],
        { maxBuffer: 1 << 20 },
      );
      const jvm = Number.parseFloat(stdout);
      const ts = typescriptRowsPerSecond(await loadMojoFile(mojo), data, 3, passes);
      const ratio = ts / jvm;
      worst = Math.min(worst, ratio);
      ratios.push(`${spec.name} ${ratio.toFixed(2)}x`);
      console.log(
        `${spec.name.padEnd(4)} ${JSON.stringify(spec.params)}: typescript ${Math.round(ts).toLocaleString('en')} rows/s, h2o-genmodel ${Math.round(jvm).toLocaleString('en')} rows/s, ${ratio.toFixed(2)}x`,
      );
    }
    const http: HttpFigures = await httpFigures({ mojos, rows: data, seconds: intArg('seconds', 10), dir });
    console.log(
      `serve: scorer ${worst.toFixed(2)}x h2o-genmodel (slowest of ${ratios.join(', ')}), http ${http.ratio.toFixed(2)}x empty route (p99 ${http.p99Ms.toFixed(1)} ms), batch ${http.batchRatio.toFixed(2)}x pool, rss ${http.rssMb} MB`,
    );
  } finally {
    await cleanupTrainingRun(f.h2o, prefix);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
