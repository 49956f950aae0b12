/**
 * The migration runner: applies warehouse/init.sql, then warehouse/migrations/NNN_name.sql in order,
 * each once, recorded with its sha256 in public.schema_migrations. An advisory lock serialises
 * concurrent runners (a worker and a test suite starting together). A migration whose file changed
 * after it was applied is an error, not a silent re-run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { projectRoot } from '../config';
import { inTransaction } from '../postgres';

/** Arbitrary constant key for pg_advisory_lock: "mlops migrations". */
const LOCK_KEY = 741_852_963;

export interface Migration {
  name: string;
  sql: string;
  sha256: string;
}

export function listMigrations(dir = join(projectRoot, 'warehouse')): Migration[] {
  const files = [join(dir, 'init.sql')];
  const migrationsDir = join(dir, 'migrations');
  if (existsSync(migrationsDir)) {
    files.push(...readdirSync(migrationsDir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort().map((f) => join(migrationsDir, f)));
  }
  return files.map((file) => {
    const sql = readFileSync(file, 'utf8');
    const name = file.endsWith('init.sql') ? '000_init' : file.split('/').pop()!.replace(/\.sql$/, '');
    return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Applies pending migrations to a database (URL or pg settings); returns the names it applied (empty when up to date). */
export async function migrate(database: string | ClientConfig, migrations = listMigrations()): Promise<string[]> {
  const client = new Client(typeof database === 'string' ? { connectionString: database } : database);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.schema_migrations (
      name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map((await client.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM public.schema_migrations')).rows.map((r) => [r.name, r.sha256]));
    const applied: string[] = [];
    for (const m of migrations) {
      const previous = done.get(m.name);
      if (previous === m.sha256) continue;
      if (previous !== undefined) {
        throw new Error(`migration ${m.name} was changed after it was applied (sha256 ${previous.slice(0, 12)} → ${m.sha256.slice(0, 12)}): add a new migration instead`);
      }
      try {
        await inTransaction(client, async () => {
          await client.query(m.sql);
          await client.query('INSERT INTO public.schema_migrations (name, sha256) VALUES ($1, $2)', [m.name, m.sha256]);
        });
      } catch (err) {
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
