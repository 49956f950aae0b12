/**
 * Source definitions through the validation kit: defaults filled in, and every bad field named with
 * its value (secrets redacted), exactly as a workflow run reports it (test/stack/ingest.definition.test.ts
 * checks that the run fails with these messages before any request).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors';
import { pageKey, pageUrl, parseLinkHeader } from '../../src/shared/pagination';
import { validateSourceDefinition, type SourceDefinition } from '../../src/shared/source-definition';
import { BAD_DEFINITIONS } from '../helpers/bad-definitions';

const base: SourceDefinition = {
  name: 'crm',
  url: 'http://127.0.0.1:9/customers?status=active',
  pagination: { style: 'cursor' },
  mapping: {
    featureSet: 'customers',
    entityIdPath: 'id',
    eventTimePath: 'updated_at',
    features: { age: { type: 'number' } },
  },
};

function problem(definition: unknown): ValidationError {
  try {
    validateSourceDefinition(definition, 'definition');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('the definition was accepted');
}

describe('validateSourceDefinition', () => {
  it('fills defaults and parses Link headers per RFC 8288', () => {
    const resolved = validateSourceDefinition(base);
    expect(resolved.pagination).toEqual({
      style: 'cursor',
      cursorParam: 'cursor',
      nextCursorPath: 'next_cursor',
      sizeParam: 'limit',
      stopOnEmptyPage: true,
    });
    expect(resolved.maxPagesInFlight).toBe(4);
    expect(resolved).toMatchObject({ recordsPath: 'data', pageSize: 100, pagesPerActivity: 10, headers: {} });
    expect(resolved.mapping.features).toEqual({ age: { path: 'age', type: 'number', nullable: false } });
    expect(validateSourceDefinition({ ...base, pagination: { style: 'offset' } }).pagesPerActivity).toBe(1);
    expect(
      parseLinkHeader('<https://a.example/x?page=2>; rel="next last", <https://a.example/x?page=1>;rel=prev'),
    ).toEqual({
      next: 'https://a.example/x?page=2',
      last: 'https://a.example/x?page=2',
      prev: 'https://a.example/x?page=1',
    });
  });

  it('never echoes the value of a secret header, whatever its type', () => {
    for (const value of [12345, ['Bearer', 'abc123'], { token: 'abc123' }, 'Bearer abc123']) {
      const err = problem({ ...base, headers: { 'X-Api-Key': value } });
      expect(err.field).toMatch(/^definition\.headers\.X-Api-Key/);
      expect(err.message).toContain('"<redacted>"');
      expect(err.message).not.toMatch(/12345|abc123/);
    }
    // a plain header's bad value is shown as usual
    expect(problem({ ...base, headers: { Accept: 42 } }).message).toContain('definition.headers.Accept=42 is invalid');
  });

  it('accepts its own output (the activity re-validates what workflow history holds) and a `$schema` key', () => {
    const resolved = validateSourceDefinition({ ...base, $schema: '../schemas/source.schema.json' });
    expect(resolved).not.toHaveProperty('$schema');
    expect(validateSourceDefinition(resolved)).toEqual(resolved);
  });

  it.each<[string, (d: SourceDefinition) => unknown, RegExp]>([
    ...BAD_DEFINITIONS,
    [
      'an upper-case source name',
      (d) => ({ ...d, name: 'CRM' }),
      /^definition\.name="CRM" is invalid: a source name: lowercase letters/,
    ],
    ['not an object', () => 'crm', /^definition="crm" is invalid: an object/],
  ])('%s is rejected, naming the field and the value', (_label, breakIt, message) => {
    const err = problem(breakIt(base));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('abc123');
  });
});

describe('pagination', () => {
  it('builds the URL of a page and names it', () => {
    const offset = validateSourceDefinition({
      ...base,
      pagination: { style: 'offset' },
      pageSize: 50,
      window: { startParam: 'from', endParam: 'to' },
    });
    const url = new URL(
      pageUrl(offset, { index: 3 }, { window: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' } }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      status: 'active',
      offset: '150',
      limit: '50',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
    });
    expect(pageKey(offset, { index: 3 })).toBe('offset=150');
    const cursor = validateSourceDefinition(base);
    expect(pageKey(cursor, { index: 0 })).toBe('cursor=(first)');
    expect(
      new URL(pageUrl(cursor, { index: 1, cursor: 'abc' }, { since: '2026-01-01T00:00:00Z' })).searchParams.get(
        'cursor',
      ),
    ).toBe('abc');
  });
});
