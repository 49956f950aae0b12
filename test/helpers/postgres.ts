/** A pg pool for assertions on real rows, and the tests' own cleanup: the owner's login (MIGRATE_DATABASE_URL), not the worker's. */
import { Pool } from 'pg';
import { loadConfig } from '../../src/config';

export function testPool(): Pool {
  const pool = new Pool({ connectionString: loadConfig().postgres.migrateUrl, max: 4, application_name: 'mlops-test' });
  pool.on('error', () => {});
  return pool;
}
