/**
 * A manual retrain exactly as the README shows it, through the real `temporal` binary:
 *   temporal workflow start --type retrainModel --task-queue <queue> --workflow-id retrain-<model> \
 *     --input '{"model":"<model>","reason":"manual"}'
 * (the README uses the worker's queue `mlops`; the test uses its own queue so other workers on the
 * shared stack cannot pick the task up). Then the registry has the new version and
 * `temporal workflow list --query 'ModelName="<model>"'` finds the run.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { listVersions } from '../../src/registry';
import { stackContext } from '../../src/stack/cli';
import { temporalBinary } from '../../src/stack/temporal';
import { daysWindow, writeModelsConfig, writeRows } from './drift.dataset';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: writeModelsConfig({ [model]: { featureSet } }) }) });
const featureSet = uniqueName('cli-fs');
const model = uniqueName('cli').replace(/-/g, '_');
const cfg = loadConfig();

function temporal(args: string[]): string {
  return execFileSync(temporalBinary(stackContext(() => {})), [...args, '--address', cfg.temporal.address, '--namespace', cfg.temporal.namespace], { encoding: 'utf8' });
}

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, daysWindow(1, 5), 1500, { seed: 5 });
});

afterAll(async () => {
  await suite.pool.query('DELETE FROM features.feature_values WHERE feature_set = $1', [featureSet]);
});

describe('manual retrain with the temporal CLI', () => {
  it('starts retrainModel with only model and reason, and the registry gets version 1 in production', async () => {
    temporal(['workflow', 'start', '--type', 'retrainModel', '--task-queue', suite.worker.taskQueue, '--workflow-id', `retrain-${model}`, '--input', JSON.stringify({ model, reason: 'manual' })]);
    const result = await suite.client.workflow.getHandle(`retrain-${model}`).result();
    expect(result).toMatchObject({ model, version: 1, outcome: 'promoted', production: 1 });
    const [v1] = await listVersions(suite.pool, model);
    expect(v1).toMatchObject({ version: 1, stage: 'production', workflowId: `retrain-${model}`, featureSet, target: 'churned', driftReportId: null });
    expect(v1!.metrics.auc).toBeGreaterThan(0.5);

    const listed = temporal(['workflow', 'list', '--query', `ModelName="${model}"`]);
    expect(listed).toContain(`retrain-${model}`);
    // TRIGGER is a reserved word of the visibility query language: the attribute needs backticks
    expect(temporal(['workflow', 'list', '--query', `ModelName="${model}" AND \`Trigger\`="manual" AND ModelVersion=1`])).toContain(`retrain-${model}`);
  });
});
