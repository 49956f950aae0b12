/**
 * The migration runner: applies warehouse/init.sql, then warehouse/migrations/NNN_name.sql in order,
 * each once, recorded with its sha256 in public.schema_migrations. An advisory lock serialises
 * concurrent runners (a worker and a test suite starting together). A migration whose file changed
 * after it was applied is an error, not a silent re-run. Numbers are unique, so the order is the
 * files' order; a renumbered migration is recognised by the name it ran under (RENAMED_MIGRATIONS).
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

/**
 * Migrations renumbered after they had run somewhere: new name → the name a database that ran it
 * recorded. Such a row is renamed, not run again.
 */
export const RENAMED_MIGRATIONS: Readonly<Record<string, string>> = {
  // 040 was taken twice; 040_drift_report_per_window kept it
  '050_index_closed_partition_as_owner': '040_index_closed_partition_as_owner',
};

export function listMigrations(dir = join(projectRoot, 'warehouse')): Migration[] {
  const files = [join(dir, 'init.sql')];
  const migrationsDir = join(dir, 'migrations');
  if (existsSync(migrationsDir)) {
    files.push(
      ...readdirSync(migrationsDir)
        .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
        .sort()
        .map((f) => join(migrationsDir, f)),
    );
  }
  const migrations = files.map((file) => {
    const sql = readFileSync(file, 'utf8');
    const name = file.endsWith('init.sql')
      ? '000_init'
      : file
          .split('/')
          .pop()!
          .replace(/\.sql$/, '');
    return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
  });
  // two files of one number would run in the order of their names' tails, which nobody chose
  const byNumber = new Map<string, string>();
  for (const { name } of migrations) {
    const other = byNumber.get(name.slice(0, 3));
    if (other)
      throw new Error(
        `migrations ${other} and ${name} have the same number: renumber the newer one and add its old name to RENAMED_MIGRATIONS if it ran anywhere`,
      );
    byNumber.set(name.slice(0, 3), name);
  }
  return migrations;
}

/** What the runner does with one migration, given the names and sha256s a database recorded. */
export type MigrationStep = { kind: 'done' } | { kind: 'rename'; from: string } | { kind: 'apply' };

export function migrationStep(
  m: Migration,
  recorded: ReadonlyMap<string, string>,
  renamed: Readonly<Record<string, string>> = RENAMED_MIGRATIONS,
): MigrationStep {
  const oldName = renamed[m.name];
  const [name, previous] =
    recorded.has(m.name) || oldName === undefined ? [m.name, recorded.get(m.name)] : [oldName, recorded.get(oldName)];
  if (previous === undefined) return { kind: 'apply' };
  if (previous !== m.sha256) {
    throw new Error(
      `migration ${m.name}${name === m.name ? '' : ` (applied as ${name})`} was changed after it was applied (sha256 ${previous.slice(0, 12)} → ${m.sha256.slice(0, 12)}): add a new migration instead`,
    );
  }
  return name === m.name ? { kind: 'done' } : { kind: 'rename', from: name };
}

/** Applies pending migrations to a database (URL or pg settings); returns the names it applied (empty when up to date). */
export async function migrate(database: string | ClientConfig, migrations = listMigrations()): Promise<string[]> {
  const client = new Client(typeof database === 'string' ? { connectionString: database } : database);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.schema_migrations (
      name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map(
      (
        await client.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM public.schema_migrations')
      ).rows.map((r) => [r.name, r.sha256]),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      const step = migrationStep(m, done);
      if (step.kind === 'done') continue;
      if (step.kind === 'rename') {
        await client.query('UPDATE public.schema_migrations SET name = $1 WHERE name = $2', [m.name, step.from]);
        continue;
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
