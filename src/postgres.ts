/** The PostgreSQL pool the worker builds once and hands to every activity group. */
import { Pool, types, type ClientBase, type PoolClient } from 'pg';
import type { PostgresConfig } from './config';

// bigint (int8) as a JS number: counts and ids here stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));

export function createPool(config: PostgresConfig, applicationName = 'mlops-worker'): Pool {
  const pool = new Pool({
    connectionString: config.url,
    max: config.poolMax,
    application_name: applicationName,
    connectionTimeoutMillis: 10000,
  });
  // An idle client that loses its server (a PostgreSQL restart) emits 'error'; without a listener that kills the worker.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` in one transaction on `client`: COMMIT when it resolves, ROLLBACK (and rethrow) when it throws. */
export async function inTransaction<T>(client: Pick<ClientBase, 'query'>, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Runs `work` on a client checked out of the pool, and always gives it back. */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

/**
 * Runs `work` on one client while holding the session advisory lock `key`, or returns undefined at
 * once when another session holds it (one runner at a time; the others skip rather than queue).
 */
export async function withTryAdvisoryLock<T>(
  pool: Pool,
  key: number,
  work: (client: PoolClient) => Promise<T>,
): Promise<T | undefined> {
  return withClient(pool, async (client) => {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]);
    if (!rows[0]!.ok) return undefined;
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  });
}
