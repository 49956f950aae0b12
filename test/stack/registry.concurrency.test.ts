/**
 * Registry invariants under concurrency: versions stay gapless and never reused, exactly one version is
 * in production, retried registrations do not bump, rollbacks are version bumps. Real PostgreSQL.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listVersions, promoteVersion, registerVersion, rollbackVersion } from '../../src/registry';
import { fakeCandidate } from './drift.dataset';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

let pool: Pool;
beforeAll(() => {
  pool = testPool();
});
afterAll(async () => {
  await pool.end();
});

async function withClient<T>(work: (c: import('pg').PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    return await work(c);
  } finally {
    c.release();
  }
}

describe('registry under concurrency', () => {
  it('twelve racing register+promote runs leave versions 1..12 and exactly one production version', async () => {
    const model = uniqueName('reg');
    const runs = Array.from({ length: 12 }, (_, i) =>
      withClient(async (c) => {
        const { version } = await registerVersion(c, {
          candidate: fakeCandidate(model, 0.7 + i / 100),
          workflowId: `wf-${i}`,
          runId: `run-${i}`,
        });
        return promoteVersion(c, { model, version, reason: 'test', workflowId: `wf-${i}` });
      }),
    );
    const outcomes = await Promise.all(runs);
    const versions = await listVersions(pool, model);
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(versions.filter((v) => v.stage === 'production')).toHaveLength(1);
    expect(versions.filter((v) => v.stage === 'staging')).toHaveLength(0);
    // the newest registered version wins: an older champion never replaces a newer one
    expect(versions.find((v) => v.stage === 'production')!.version).toBe(12);
    expect(outcomes.some((o) => o.outcome === 'promoted')).toBe(true);
    const events = await pool.query(
      'SELECT count(*)::int AS n FROM registry.stage_events WHERE model_name = $1 AND to_stage = $2',
      [model, 'production'],
    );
    expect(events.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('a retried registration by the same run returns its version instead of bumping', async () => {
    const model = uniqueName('reg');
    const a = await withClient((c) =>
      registerVersion(c, { candidate: fakeCandidate(model), workflowId: 'wf', runId: 'r1' }),
    );
    const again = await Promise.all(
      [1, 2, 3].map(() =>
        withClient((c) => registerVersion(c, { candidate: fakeCandidate(model), workflowId: 'wf', runId: 'r1' })),
      ),
    );
    expect(a).toEqual({ version: 1, created: true });
    expect(again.every((r) => r.version === 1 && !r.created)).toBe(true);
    expect(await listVersions(pool, model)).toHaveLength(1);
  });

  it('a rollback is a new version that re-deploys the old artifact, recorded with rolled_back_from', async () => {
    const model = uniqueName('reg');
    for (const [i, auc] of [0.7, 0.8].entries()) {
      await withClient(async (c) => {
        const { version } = await registerVersion(c, {
          candidate: fakeCandidate(model, auc),
          workflowId: `wf-${i}`,
          runId: 'r',
        });
        await promoteVersion(c, { model, version, reason: 'test' });
      });
    }
    const rb = await withClient((c) =>
      rollbackVersion(c, { model, toVersion: 1, reason: 'v2 misbehaves', workflowId: 'cli', runId: 'x1' }),
    );
    expect(rb).toEqual({ version: 3, rolledBackFrom: 1, archived: 2, created: true });
    const retry = await withClient((c) =>
      rollbackVersion(c, { model, toVersion: 1, reason: 'v2 misbehaves', workflowId: 'cli', runId: 'x1' }),
    );
    expect(retry.created).toBe(false);
    const versions = await listVersions(pool, model);
    expect(versions.map((v) => [v.version, v.stage, v.rolledBackFrom])).toEqual([
      [3, 'production', 1],
      [2, 'archived', null],
      [1, 'archived', null],
    ]);
    expect(versions[0]!.artifactPath).toBe(versions[2]!.artifactPath);
    const events = await pool.query(
      `SELECT version, from_stage, to_stage FROM registry.stage_events WHERE model_name = $1 ORDER BY id`,
      [model],
    );
    expect(events.rows.at(-1)).toEqual({ version: 3, from_stage: null, to_stage: 'production' });
  });
});
