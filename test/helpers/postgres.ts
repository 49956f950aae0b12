/** A pg pool for assertions on real rows. */
import { Pool } from 'pg';
import { loadConfig } from '../../src/config';

export function testPool(): Pool {
  const pool = new Pool({ connectionString: loadConfig().postgres.url, max: 4, application_name: 'mlops-test' });
  pool.on('error', () => {});
  return pool;
}
