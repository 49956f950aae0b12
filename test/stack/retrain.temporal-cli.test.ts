/**
 * The `temporal` commands the demo and the README print, run exactly as printed, in a shell from the
 * project folder (`temporal` itself is not on the PATH: `npm run temporal --` runs the pinned binary
 * against the configured server, src/cli/temporal.ts):
 *   npm run temporal -- workflow start --type retrainModel --task-queue <queue> --workflow-id retrain-<model> \
 *     --input '{"model":"<model>","reason":"manual"}'
 * (the demo prints the worker's queue `mlops` and the model churn; the test asks the same function for
 * its own queue and model, so other workers on the shared stack cannot pick the task up). Then the
 * registry has the new version, and the printed `workflow list --query 'ModelName="<model>"'` finds the
 * run; the README's commands are in the same form, and its read-only ones run as written.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoShellHints } from '../../src/cli/demo';
import { loadConfig, projectRoot } from '../../src/config';
import { listVersions } from '../../src/registry';
import { daysWindow, writeModelsConfig, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const suite = useStackSuite({
  workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: writeModelsConfig({ [model]: { featureSet } }) }),
});
const featureSet = uniqueName('cli-fs');
useFeatureSet(() => suite.pool, featureSet);
const model = uniqueName('cli').replace(/-/g, '_');

/** Runs a printed command line as a newcomer does: a shell in the project folder. */
function asPrinted(command: string): string {
  return execFileSync('bash', ['-c', command], {
    cwd: projectRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
const hint = (what: string) => demoShellHints(suite.worker.taskQueue, model).find(([w]) => w === what)![1];

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, daysWindow(1, 5), 1500, { seed: 5 });
});

describe('the printed temporal commands', () => {
  it("the demo's manual retrain starts retrainModel with only model and reason, and the registry gets version 1 in production", async () => {
    expect(hint('manual retrain')).toMatch(/^npm run temporal -- workflow start /);
    asPrinted(hint('manual retrain'));
    const result = await suite.client.workflow.getHandle(`retrain-${model}`).result();
    expect(result).toMatchObject({ model, version: 1, outcome: 'promoted', production: 1 });
    const [v1] = await listVersions(suite.pool, model);
    expect(v1).toMatchObject({
      version: 1,
      stage: 'production',
      workflowId: `retrain-${model}`,
      featureSet,
      target: 'churned',
      driftReportId: null,
    });
    expect(v1!.metrics.auc).toBeGreaterThan(0.5);

    expect(asPrinted(hint('from a shell'))).toContain(`retrain-${model}`);
    // the operator command the demo prints next to it (tsx is not on the PATH either)
    expect(asPrinted(`npx tsx src/cli/index.ts versions ${model}`)).toMatch(/production/);
    // TRIGGER is a reserved word of the visibility query language: the attribute needs backticks
    expect(
      asPrinted(
        `npm run -s temporal -- workflow list --query 'ModelName="${model}" AND \`Trigger\`="manual" AND ModelVersion=1'`,
      ),
    ).toContain(`retrain-${model}`);
  });

  it("the README's temporal commands use the pinned CLI, and its read-only ones work as written", () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const block = /## Operating it the Temporal way[^#]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = block
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands.length).toBeGreaterThan(4);
    for (const c of commands) expect(c).toMatch(/^npm run temporal -- /);
    for (const doc of ['README.md', 'docs/DRIFT.md', 'docs/INGESTION.md', 'docs/TRAINING.md', 'docs/DEPLOY.md']) {
      expect(readFileSync(join(projectRoot, doc), 'utf8'), doc).not.toMatch(
        /(^|`)temporal (workflow|schedule|operator) /m,
      );
    }
    const readOnly = commands.filter((c) => / (workflow list|schedule list)/.test(c));
    expect(readOnly.length).toBe(3);
    // each exits 0 (execFileSync throws otherwise); what it lists depends on what ran before, and on a
    // fresh server (CI) nothing may match: then the output is npm's own banner and nothing else
    for (const c of readOnly) {
      const listed = asPrinted(c)
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('> '));
      if (listed.length) expect(listed.join('\n')).toMatch(/WorkflowId|ScheduleId|Status/);
    }
    expect(asPrinted('npm run -s temporal -- operator namespace describe')).toMatch(
      new RegExp(`NamespaceInfo\\.Name\\s+${loadConfig().temporal.namespace}`),
    );
  });
});
