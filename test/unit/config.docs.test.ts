/** docs/CONFIGURATION.md lists every environment variable src/config.ts reads (MAINTENANCE note there). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';

describe('docs/CONFIGURATION.md', () => {
  it('documents every variable the config module reads', () => {
    const source = readFileSync(join(projectRoot, 'src', 'config.ts'), 'utf8');
    const read = [...source.matchAll(/\b(?:env[A-Za-z]*|read)\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(30);
    const docs = readFileSync(join(projectRoot, 'docs', 'CONFIGURATION.md'), 'utf8');
    const undocumented = [...new Set(read)].filter((name) => !docs.includes(`| \`${name}\` |`));
    expect(undocumented, 'run python3 scripts/config-docs.py').toEqual([]);
  });
});
