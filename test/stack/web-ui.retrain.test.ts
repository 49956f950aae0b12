/**
 * The Temporal Web UI finds a model's retrain: a real retrain runs, then headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core) opens the workflows list filtered by
 * ModelName="<model>" and sees the run with its type. Chromium is a test tool: installed here when missing.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { aptInstall } from '../../src/stack/install';
import { ModelName, Trigger } from '../../src/shared/search-attributes';
import { retrainModel } from '../../src/workflows/retrain-model';
import { daysWindow, writeModelsConfig, writeRows } from './drift.dataset';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';

const CHROMIUM = '/usr/bin/chromium';
const cfg = loadConfig();
const suite = useStackSuite({
  workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: writeModelsConfig({ [model]: { featureSet } }) }),
});
let browser: Browser;
const featureSet = uniqueName('ui-fs');
useFeatureSet(() => suite.pool, featureSet);
const model = uniqueName('ui').replace(/-/g, '_');

beforeAll(async () => {
  await writeRows(suite.pool, featureSet, daysWindow(1, 5), 1500, { seed: 9 });
  aptInstall(['chromium'], (line) => console.log(`[web-ui test] ${line}`));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('Web UI', () => {
  it('lists the retrain workflow of a model under its ModelName query', async () => {
    const workflowId = `retrain-${model}`;
    await suite.client.workflow.execute(retrainModel, {
      taskQueue: suite.worker.taskQueue,
      workflowId,
      args: [{ model, reason: 'manual' }],
      typedSearchAttributes: [
        { key: ModelName, value: model },
        { key: Trigger, value: 'manual' },
      ],
      staticSummary: `retrain ${model}: manual, from the web-ui test`,
    });
    const page = await browser.newPage();
    const query = encodeURIComponent(`ModelName="${model}"`);
    await page.goto(
      `http://${cfg.temporal.host}:${cfg.temporal.uiPort}/namespaces/${cfg.temporal.namespace}/workflows?query=${query}`,
    );
    const row = page.getByText(workflowId, { exact: true }).first();
    await row.waitFor({ timeout: 60_000 });
    expect(await page.getByText('retrainModel').count()).toBeGreaterThan(0);

    // the run's own page shows the search attributes the Web UI filters on
    await row.click();
    await page.waitForURL(/\/workflows\/retrain-/, { timeout: 30_000 });
    await page.getByText(model).first().waitFor({ timeout: 30_000 });
    await page.close();
  });
});
