/**
 * The scoring pool's bounds, with a hand-written GLM MOJO (no stack): a full queue refuses the next
 * batch at once (PoolRefusal, 503 in the service), a batch over the task timeout is refused naming
 * the limit, a version released by the store is dropped from the threads' caches, its threads start
 * without a shim file, and the inline or pool choice weighs cells, not rows alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseInThreads } from '../../src/serving/model-release';
import type { NonFinite } from '../../src/mojo/rows';
import { createScoringPool, PoolRefusal, scoresInline, type ScoringPool } from '../../src/serving/scoring-pool';
import { glmMojo } from '../helpers/hand-mojos';

const dir = mkdtempSync(join(tmpdir(), 'scoring-pool-'));
let pool: ScoringPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function artifact(name: string, bytes: Buffer): { artifactPath: string; sha256: string; nonFinite: NonFinite } {
  const artifactPath = join(dir, name);
  writeFileSync(artifactPath, bytes);
  return { artifactPath, sha256: createHash('sha256').update(bytes).digest('hex'), nonFinite: 'refuse' };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ x: i }));

describe('the scoring pool', () => {
  it('refuses a batch beyond its threads and queue at once, naming SERVE_POOL_MAX_QUEUE', async () => {
    pool = createScoringPool({ threads: 1, maxQueue: 1, taskTimeoutMs: 600_000 });
    const a = artifact('queue.zip', glmMojo(2, 1));
    const settled = await Promise.allSettled([1, 2, 3].map(() => pool!.score({ ...a, rows: rows(10) })));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const refused = (settled[2] as PromiseRejectedResult).reason as PoolRefusal;
    expect(refused).toBeInstanceOf(PoolRefusal);
    expect(refused).toMatchObject({ reason: 'queue', field: 'SERVE_POOL_MAX_QUEUE', value: 1 });
    // the queue drained: the next batch is scored
    const after = await pool.score({ ...a, rows: [{ x: 3 }] });
    expect(after.ok && Array.from(after.preds)).toEqual([7]);
  });

  it('refuses a batch over the task timeout, naming SERVE_POOL_TASK_TIMEOUT_MS', async () => {
    pool = createScoringPool({ threads: 1, maxQueue: 4, taskTimeoutMs: 1 });
    const a = artifact('timeout.zip', glmMojo(2, 1));
    const err = await pool.score({ ...a, rows: rows(200_000) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PoolRefusal);
    expect(err).toMatchObject({ reason: 'timeout', field: 'SERVE_POOL_TASK_TIMEOUT_MS', value: 1 });
    expect((err as Error).message).toContain('within 1 ms (SERVE_POOL_TASK_TIMEOUT_MS)');
  });

  it('starts its TypeScript threads through tsx without writing a shim to a shared folder', async () => {
    pool = createScoringPool({ threads: 1, maxQueue: 1, taskTimeoutMs: 600_000 });
    const result = await pool.score({ ...artifact('shim.zip', glmMojo(2, 1)), rows: [{ x: 0 }] });
    expect(result.ok && Array.from(result.preds)).toEqual([1]);
    // where the pool used to write it: a fixed folder every process shares
    expect(existsSync(join(tmpdir(), 'mlops-serve', `score-worker-${process.pid}.cjs`))).toBe(false);
  });

  it('drops a released version from its threads: the next batch reads the file again', async () => {
    pool = createScoringPool({ threads: 1, maxQueue: 4, taskTimeoutMs: 600_000 });
    const a = artifact('release.zip', glmMojo(2, 1));
    expect((await pool.score({ ...a, rows: [{ x: 1 }] })).ok).toBe(true);
    // the file changes under it: the thread keeps scoring the version it loaded...
    writeFileSync(a.artifactPath, glmMojo(5, 0));
    expect((await pool.score({ ...a, rows: [{ x: 1 }] })).ok).toBe(true);
    // ...until the store releases it; then the thread reads the file again and finds it changed
    releaseInThreads(a.artifactPath, a.sha256);
    let reread: unknown;
    for (let attempt = 0; attempt < 100 && !reread; attempt++) {
      reread = await pool.score({ ...a, rows: [{ x: 1 }] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!reread) await new Promise((r) => setTimeout(r, 20));
    }
    expect((reread as Error | undefined)?.message).toContain(`${a.artifactPath} changed on disk`);
  });
});

describe('inline or on the pool', () => {
  const limits = { poolMinRows: 64, poolMinCells: 4096 };
  it('a few narrow rows inline; many rows, or a few rows of a wide model, on the pool', () => {
    expect(scoresInline(10, 6, limits)).toBe(true);
    expect(scoresInline(64, 6, limits)).toBe(false);
    expect(scoresInline(10, 1000, limits)).toBe(false);
    expect(scoresInline(4, 1024, limits)).toBe(false);
    expect(scoresInline(3, 1024, limits)).toBe(true);
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
