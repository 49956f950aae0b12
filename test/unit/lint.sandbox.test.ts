/**
 * The lint rules that keep workflow code deterministic hold: each snippet is linted as if it were a
 * file of the given folder, with the project's own eslint.config.mjs.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config';

// The import rules need no type information: lint without the project service (building the whole
// program takes seconds). The floating-promise rule does: it lints a file outside the tsconfig, in a
// default project of its own.
const eslint = new ESLint({
  cwd: projectRoot,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
});
const typeAware = new ESLint({
  cwd: projectRoot,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['lint-fixture.ts'] } } },
  },
});

/** The rule ids ESLint reports for `code` as the file `filePath`. */
async function violations(filePath: string, code: string, linter = eslint): Promise<string[]> {
  const [result] = await linter.lintText(code, { filePath: `${projectRoot}/${filePath}` });
  const fatal = result!.messages.find((m) => m.fatal);
  if (fatal) throw new Error(`${filePath}: ${fatal.message}`); // a snippet that does not parse proves nothing
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

const RESTRICTED = '@typescript-eslint/no-restricted-imports';

describe('the workflow sandbox, enforced by lint', () => {
  const workflow = 'src/workflows/stack-health.ts';

  it.each([
    ["import { readFileSync } from 'node:fs';", 'a Node built-in'],
    ["import { join } from 'path';", 'a bare Node built-in'],
    ["import { createPool } from '../postgres';", 'a module outside the kernel'],
    ["import { createActivities } from '../activities';", 'activities at run time'],
    ["import { z } from 'zod';", 'a library the kernel wraps'],
  ])('rejects %s in a workflow (%s)', async (line) => {
    expect(await violations(workflow, `${line}\nexport const x = 1;\n`)).toContain(RESTRICTED);
  });

  it.each([
    "import type { createH2OActivities } from '../activities/h2o';",
    "import { proxyActivities } from '@temporalio/workflow';",
    "import { ApplicationFailure } from '@temporalio/common';",
    "import { toFailure } from '../shared/failure';",
    "import { trainModels } from './train-models';",
  ])('allows %s in a workflow', async (line) => {
    expect(
      await violations(workflow, `${line}\nexport const x = [${/import \{ (\w+)/.exec(line)?.[1] ?? ''}];\n`),
    ).not.toContain(RESTRICTED);
  });

  it.each([
    ['src/shared/names.ts', "import { config } from '../config';"],
    ['src/shared/names.ts', "import { Pool } from 'pg';"],
    ['src/shared/names.ts', "import { createHash } from 'node:crypto';"],
    ['src/shared/drift/psi.ts', "import { config } from '../../config';"],
  ])('rejects, in the kernel file %s: %s', async (file, line) => {
    expect(await violations(file, `${line}\nexport const x = 1;\n`)).toContain(RESTRICTED);
  });

  it.each([
    ['src/shared/names.ts', "import { z } from 'zod';"],
    ['src/shared/names.ts', "import { ValidationError } from './errors';"],
    ['src/shared/drift/psi.ts', "import type { TimeWindow } from '../time-window';"],
  ])('allows, in the kernel file %s: %s', async (file, line) => {
    expect(await violations(file, `${line}\nexport const x = 1;\n`)).not.toContain(RESTRICTED);
  });

  it.each([
    ['src/activities/drift.ts', "import { retrainModel } from '../workflows/retrain-model';"],
    ['src/activities/drift.ts', "import type { RetrainModelInput } from '../workflows/retrain-model';"],
    ['src/client.ts', "import { ingestSource } from './workflows/ingest-source';"],
    ['bench/train.bench.ts', "import { trainModels } from '../src/workflows/train-models';"],
  ])('rejects, outside src/workflows/, importing a workflow in %s: %s', async (file, line) => {
    expect(await violations(file, `${line}\nexport const x = 1;\n`)).toContain('import-x/no-restricted-paths');
  });

  it('allows a workflow to import another workflow (a parent passes its child to executeChild)', async () => {
    expect(
      await violations(
        'src/workflows/retrain-model.ts',
        "import { trainModels } from './train-models';\nexport const x = [trainModels];\n",
      ),
    ).not.toContain('import-x/no-restricted-paths');
  });

  it('rejects a floating promise (no-floating-promises, type-aware)', async () => {
    const code =
      "import { sleep } from '@temporalio/workflow';\nexport async function w(): Promise<void> {\n  sleep(1000);\n}\n";
    expect(await violations('lint-fixture.ts', code, typeAware)).toContain('@typescript-eslint/no-floating-promises');
    expect(await violations('lint-fixture.ts', code.replace('  sleep(', '  await sleep('), typeAware)).not.toContain(
      '@typescript-eslint/no-floating-promises',
    );
  });
});
