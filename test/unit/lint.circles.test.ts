/**
 * The circle check of `npm run lint` (dependency-cruiser, .dependency-cruiser.cjs) fires on a circle made
 * of type-only imports, the kind ESLint's import-x/no-cycle lets through, and passes the same files
 * once the circle is cut. Run as `npm run lint` runs it, on files written for the test.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'circles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cruise(files: Record<string, string>): Promise<{ code: number; out: string }> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    const { stdout } = await run(
      join(projectRoot, 'node_modules/.bin/depcruise'),
      [dir, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      { cwd: projectRoot },
    );
    return { code: 0, out: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

describe('import circles, enforced by lint', () => {
  it('rejects a circle of type-only imports, naming both files', async () => {
    const { code, out } = await cruise({
      'a.ts': "import type { B } from './b';\nexport type A = B | 1;\n",
      'b.ts': "import type { A } from './a';\nexport type B = A[];\n",
    });
    expect(code).not.toBe(0);
    expect(out).toMatch(/no-circular: .*a\.ts[\s\S]*b\.ts/);
  });

  it('passes the same files once one of them stops importing the other', async () => {
    const { code, out } = await cruise({
      'a.ts': "import type { B } from './b';\nexport type A = B | 1;\n",
      'b.ts': 'export type B = number[];\n',
    });
    expect(out).not.toContain('no-circular');
    expect(code).toBe(0);
  });
});
