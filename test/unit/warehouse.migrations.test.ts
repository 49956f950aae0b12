/**
 * The migration runner's pure part: one number per migration, and what it does with each given what a
 * database recorded, a renumbered migration included. test/stack/warehouse.schema.test.ts runs them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listMigrations, migrationStep, RENAMED_MIGRATIONS, type Migration } from '../../src/warehouse/migrate';

const migration = (name: string, sha256 = 'a'.repeat(64)): Migration => ({ name, sql: 'SELECT 1', sha256 });

describe('warehouse migrations', () => {
  it('each has a number of its own, in file order, init first', () => {
    const names = listMigrations().map((m) => m.name);
    expect(names[0]).toBe('000_init');
    expect(new Set(names.map((n) => n.slice(0, 3))).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
  });

  it('two files of one number are refused, by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      mkdirSync(join(dir, 'migrations'));
      writeFileSync(join(dir, 'init.sql'), 'SELECT 1;\n');
      writeFileSync(join(dir, 'migrations', '040_one.sql'), 'SELECT 1;\n');
      writeFileSync(join(dir, 'migrations', '040_two.sql'), 'SELECT 2;\n');
      expect(() => listMigrations(dir)).toThrow('migrations 040_one and 040_two have the same number');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every renamed migration exists under its new name, and no old name is a current one', () => {
    const names = new Set(listMigrations().map((m) => m.name));
    for (const [now, before] of Object.entries(RENAMED_MIGRATIONS)) {
      expect(names.has(now), now).toBe(true);
      expect(names.has(before), before).toBe(false);
    }
  });

  it('applies what is not recorded, skips what is, and refuses a changed file', () => {
    const m = migration('060_x');
    expect(migrationStep(m, new Map())).toEqual({ kind: 'apply' });
    expect(migrationStep(m, new Map([['060_x', m.sha256]]))).toEqual({ kind: 'done' });
    expect(() => migrationStep(m, new Map([['060_x', 'b'.repeat(64)]]))).toThrow(
      'migration 060_x was changed after it was applied (sha256 bbbbbbbbbbbb → aaaaaaaaaaaa)',
    );
  });

  it('a renumbered migration recorded under its old name is renamed, not run again', () => {
    const renamed = { '050_y': '040_y' };
    const m = migration('050_y');
    expect(migrationStep(m, new Map([['040_y', m.sha256]]), renamed)).toEqual({ kind: 'rename', from: '040_y' });
    // a database that ran it under both names keeps the new row
    expect(
      migrationStep(
        m,
        new Map([
          ['040_y', m.sha256],
          ['050_y', m.sha256],
        ]),
        renamed,
      ),
    ).toEqual({ kind: 'done' });
    expect(migrationStep(m, new Map(), renamed)).toEqual({ kind: 'apply' });
    expect(() => migrationStep(m, new Map([['040_y', 'b'.repeat(64)]]), renamed)).toThrow(
      'migration 050_y (applied as 040_y) was changed after it was applied',
    );
  });

  it('the closed-partition indexing migration, numbered 040 before 040_drift_report_per_window kept that number, is known by its old name', () => {
    const m = listMigrations().find((x) => x.name === '050_index_closed_partition_as_owner')!;
    expect(migrationStep(m, new Map([['040_index_closed_partition_as_owner', m.sha256]]))).toEqual({
      kind: 'rename',
      from: '040_index_closed_partition_as_owner',
    });
  });
});
