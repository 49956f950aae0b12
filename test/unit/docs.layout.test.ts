/** README's layout table and docs/ARCHITECTURE.md name every folder of the tree, so neither drifts from it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';

const dirs = (path: string) =>
  readdirSync(join(projectRoot, path), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
const read = (file: string) => readFileSync(join(projectRoot, file), 'utf8');

/** Folders a newcomer looks for: every folder of src/ and src/shared/, and the top-level ones that hold code or schemas. */
const folders = [
  ...dirs('src').map((d) => `src/${d}/`),
  ...dirs('src/shared').map((d) => `src/shared/${d}/`),
  ...['schemas', 'warehouse', 'dockerfile-scanner', 'bench'].map((d) => `${d}/`),
  ...dirs('test')
    .filter((d) => d !== 'fixtures' && d !== 'helpers')
    .map((d) => `test/${d}/`),
];

describe('the documented layout matches the tree', () => {
  it.each(['README.md', 'docs/ARCHITECTURE.md'])('%s names every folder', (doc) => {
    const text = read(doc);
    const missing = folders.filter((f) => !text.includes(f) && !text.includes(`(\`${f.split('/').at(-2)}/\`)`));
    expect(missing).toEqual([]);
  });

  it('docs/ARCHITECTURE.md names only paths that exist', () => {
    const named = [
      ...read('docs/ARCHITECTURE.md').matchAll(
        /`((?:src|test|schemas|warehouse|docker|dockerfile-scanner|bench)\/[A-Za-z0-9_./<>-]*)`/g,
      ),
    ].map((m) => m[1]!);
    const exists = (path: string) => {
      if (path.includes('<')) return true; // a pattern such as src/workflows/<name>.ts
      try {
        readdirSync(join(projectRoot, path.replace(/\/$/, '')));
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return true;
        return false;
      }
    };
    expect(named.filter((p) => !exists(p))).toEqual([]);
  });
});
