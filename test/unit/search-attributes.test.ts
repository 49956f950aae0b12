/** SEARCH_ATTRIBUTE_TYPES, what the stack registers, is every search attribute key of ours and no system one. */
import { describe, expect, it } from 'vitest';
import * as attributes from '../../src/shared/search-attributes';

const CLI_TYPES: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double' };

describe('SEARCH_ATTRIBUTE_TYPES', () => {
  it("names every exported key but the server's own (Temporal…), with the CLI's type", () => {
    const keys = Object.values(attributes as Record<string, unknown>).filter(
      (v): v is { name: string; type: string } => typeof v === 'object' && v !== null && 'name' in v && 'type' in v,
    );
    const ours = keys.filter((key) => !key.name.startsWith('Temporal'));
    expect(ours.length).toBeGreaterThan(0);
    expect(attributes.SEARCH_ATTRIBUTE_TYPES).toEqual(
      Object.fromEntries(ours.map((key) => [key.name, CLI_TYPES[key.type]])),
    );
    expect(Object.keys(attributes.SEARCH_ATTRIBUTE_TYPES)).not.toContain(attributes.TemporalScheduledStartTime.name);
  });
});
