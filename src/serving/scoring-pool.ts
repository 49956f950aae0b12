/**
 * The worker-thread pool for large batches (piscina: the established pool for Node worker threads,
 * with a task queue, transferable results and clean shutdown). Rows below SERVE_POOL_MIN_ROWS are
 * scored inline: posting to a thread costs more than scoring a few rows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import Piscina from 'piscina';
import type { ScoreResult, ScoreTask } from './score-worker';

export interface ScoringPool {
  score(task: ScoreTask): Promise<ScoreResult>;
  close(): Promise<void>;
}

/** The worker entry: the compiled .js, or under tsx a bootstrap that registers tsx first (Node 20 cannot load .ts workers). */
function workerFile(): string {
  const ext = extname(__filename);
  const entry = join(__dirname, `score-worker${ext}`);
  if (ext !== '.ts') return entry;
  const dir = join(tmpdir(), 'mlops-serve');
  mkdirSync(dir, { recursive: true });
  const shim = join(dir, `score-worker-${process.pid}.cjs`);
  writeFileSync(
    shim,
    `require(${JSON.stringify(require.resolve('tsx/cjs'))});\nmodule.exports = require(${JSON.stringify(entry)});\n`,
  );
  return shim;
}

export function createScoringPool(threads: number): ScoringPool {
  const pool = new Piscina<ScoreTask, ScoreResult>({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
  });
  return {
    score: (task) => pool.run(task),
    close: () => pool.destroy(),
  };
}
