/** The PostgreSQL pool the worker builds once and hands to every activity group. */
import { Pool, types } from 'pg';
import type { PostgresConfig } from './config';

// bigint (int8) as a JS number: counts and ids here stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));

export function createPool(config: PostgresConfig, applicationName = 'mlops-worker'): Pool {
  const pool = new Pool({ connectionString: config.url, max: config.poolMax, application_name: applicationName, connectionTimeoutMillis: 10000 });
  // An idle client that loses its server (a PostgreSQL restart) emits 'error'; without a listener that kills the worker.
  pool.on('error', () => {});
  return pool;
}
