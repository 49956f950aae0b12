/**
 * Runs once before the suite: the stack must already be up (`npm test` runs stack:up first); this
 * checks every component is healthy, makes sure the worker's database role and the search attributes
 * exist (a stack started before they were introduced lacks them), applies migrations and bundles the workflows once, so each
 * test's worker loads the same bundle instead of running webpack again.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS, stackContext } from '../src/stack/cli';
import { ensureDatabaseRoles } from '../src/stack/postgres';
import { ensureSearchAttributes } from '../src/stack/temporal';
import { migrate } from '../src/warehouse/migrate';
import { projectRoot } from '../src/config';
import { testBundlePath } from './helpers/paths';

export default async function setup(): Promise<void> {
  const ctx = stackContext(() => {});
  for (const component of COMPONENTS) {
    const status = await component.status(ctx);
    if (status.state !== 'running') {
      throw new Error(
        `${component.name} is ${status.state} at ${status.address}: run \`npm run stack:up\` (npm test does this first)`,
      );
    }
  }
  await ensureDatabaseRoles(ctx);
  ensureSearchAttributes(ctx);
  await migrate(ctx.config.postgres.migrateUrl);
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(projectRoot, 'src', 'workflows', 'index.ts'),
    logger: quietLogger,
  });
  mkdirSync(join(testBundlePath(), '..'), { recursive: true });
  writeFileSync(testBundlePath(), code);
}

const noop = () => {};
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
};
