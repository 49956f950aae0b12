/**
 * Record mapping: valid records become rows, invalid ones a reason naming the field and value; the
 * generated fast mapper and the generic one agree (the fast one defers every rejection to the generic).
 */
import { describe, expect, it } from 'vitest';
import type { RecordMapping } from '../../src/shared/source-definition';
import { compileMapping } from '../../src/ingest/records';

const declared: RecordMapping = {
  featureSet: 'customers',
  entityIdPath: 'id',
  eventTimePath: 'meta.updated_at',
  features: {
    age: { path: 'profile.age', type: 'number' },
    plan: { path: 'plan', type: 'string' },
    vip: { path: 'vip', type: 'boolean', nullable: true },
  },
};
const good = { id: 42, meta: { updated_at: '2026-11-20T10:00:00Z' }, profile: { age: 31 }, plan: 'basic', vip: true };

describe('compileMapping', () => {
  it('maps a valid record (declared features, nested paths, integer id, normalised time)', () => {
    expect(compileMapping(declared)(good)).toEqual({
      ok: true,
      row: { entityId: '42', eventTime: '2026-11-20T10:00:00.000Z', features: { age: 31, plan: 'basic', vip: true } },
    });
    expect(compileMapping(declared)({ ...good, vip: undefined })).toMatchObject({
      ok: true,
      row: { features: { vip: null } },
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a missing id', { ...good, id: undefined }, /^id: expected a non-empty string .* got nothing \(missing\)/],
    ['a blank id', { ...good, id: '  ' }, /^id: expected a non-empty string/],
    [
      'a bad time',
      { ...good, meta: { updated_at: 'yesterday' } },
      /^meta\.updated_at: expected an ISO-8601 time .* got "yesterday"/,
    ],
    [
      'a string age',
      { ...good, profile: { age: '31' } },
      /^profile\.age: feature age expected a finite number, got "31"/,
    ],
    ['a missing required feature', { ...good, plan: null }, /^plan: feature plan is required \(string\), got null/],
    ['a wrong boolean', { ...good, vip: 'yes' }, /^vip: feature vip expected a boolean, got "yes"/],
    ['not an object', [1, 2], /^record: expected an object, got \[1,2\]/],
  ])('rejects %s with a reason naming the field', (_label, record, reason) => {
    const mapped = compileMapping(declared)(record);
    expect(mapped.ok).toBe(false);
    expect(mapped.ok ? '' : mapped.reason).toMatch(reason);
  });

  it('takes scalar members of featuresPath, declared features winning on a name clash', () => {
    const map = compileMapping({
      featureSet: 'x',
      entityIdPath: 'id',
      eventTimePath: 't',
      featuresPath: 'f',
      features: { a: { path: 'a', type: 'number' } },
    });
    expect(map({ id: 'e1', t: 0, a: 1, f: { a: 99, b: 'x', c: null } })).toEqual({
      ok: true,
      row: { entityId: 'e1', eventTime: '1970-01-01T00:00:00.000Z', features: { a: 1, b: 'x', c: null } },
    });
    const nested = map({ id: 'e1', t: 0, a: 1, f: { b: { deep: 1 } } });
    expect(nested.ok ? '' : nested.reason).toMatch(
      /^f\.b: expected a number, string, boolean or null, got \{"deep":1\}/,
    );
  });
});
