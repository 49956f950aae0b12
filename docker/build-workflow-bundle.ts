/**
 * Bundles the workflows once, at image build time (Temporal's production sample does the same), so a
 * worker starts without webpack: `tsx docker/build-workflow-bundle.ts <out.js>`.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: tsx docker/build-workflow-bundle.ts <output.js>');
  const { code } = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '..', 'src', 'workflows') });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
