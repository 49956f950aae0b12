/**
 * The model pages in a real browser after a real pipeline: a retrain on H2O makes version 1, a drift
 * sensor run finds drift in a shifted day and starts a retrain that waits for approval (the pages
 * show it running, from Temporal's visibility), which is approved with a comment full of HTML
 * metacharacters, so version 2 is promoted with lineage to the report. A second model's feature is
 * named with metacharacters, and a real sensor run writes a report about it. Headless Chromium
 * (/usr/bin/chromium through playwright-core) opens each page against the inference service in this
 * process (test/helpers/serve.ts) and checks the versions, the bars, the links, the escaping, and that
 * a page still renders ("unknown") when Temporal is unreachable. Screenshots go to
 * .stack/test-output/ui/ of the checkout.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModelDeclaration } from '../../src/catalog/models';
import { loadConfig, projectRoot } from '../../src/config';
import { buildReferenceProfile } from '../../src/feature-store/reference-profile';
import { listVersions, promoteVersion, registerVersion } from '../../src/registry';
import { webUi } from '../../src/serving/ui/links';
import { approve, status } from '../../src/shared/messages/retrain-model';
import { aptInstall } from '../../src/stack/install';
import { driftSensor } from '../../src/workflows/drift-sensor';
import { retrainModel } from '../../src/workflows/retrain-model';
import { startService, type TestService } from '../helpers/serve';
import { useFeatureSet } from '../helpers/feature-sets';
import { useStackSuite } from '../helpers/suite';
import { uniqueName } from '../helpers/temporal';
import { daysWindow, fakeCandidate, writeModelsConfig, writeRows } from './drift.dataset';

const CHROMIUM = '/usr/bin/chromium';
const NASTY = `<script>alert(1)</script>"'&`;
const OUT = join(projectRoot, '.stack', 'test-output', 'ui');
const cfg = loadConfig();
const featureSet = uniqueName('uipage-fs');
const nastyFs = uniqueName('uipage-nasty-fs');
const model = uniqueName('uipage').replace(/-/g, '_');
const nastyModel = uniqueName('uinasty').replace(/-/g, '_');
const modelsConfig = writeModelsConfig({
  [model]: { featureSet, requireApproval: true, approvalTimeout: '1h' },
  [nastyModel]: { featureSet: nastyFs },
});
const suite = useStackSuite({ workerConfig: () => loadConfig({ ...process.env, MODELS_CONFIG: modelsConfig }) });
useFeatureSet(() => suite.pool, [featureSet, nastyFs]);
const w = webUi(cfg.serve.uiTemporalUrl, cfg.temporal.namespace);

let browser: Browser;
let service: TestService;
let offline: TestService;
let driftReportId: number;
let nastyReportId: number;
let retrainId: string;
let retrainRunId: string;

async function open(path: string, shot: string, base = service.url): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const res = await page.goto(`${base}${path}`);
  expect(res?.status(), path).toBe(200);
  await page.screenshot({ path: join(OUT, `${shot}.png`), fullPage: true });
  expect(dialogs, 'no script ran (alert)').toEqual([]);
  expect(await page.locator('script').count(), 'no script element in the page').toBe(0);
  return page;
}

/** Writes rows whose first feature is named NASTY (a categorical) beside a numeric `spend`. */
async function writeNastyRows(window: ReturnType<typeof daysWindow>, rows: number, prefix: string): Promise<void> {
  const docs = Array.from({ length: rows }, (_, i) =>
    JSON.stringify({ [NASTY]: ['a<b', 'c&d', `"q"`][i % 3], spend: (i * 7919) % 100 }),
  );
  const times = Array.from({ length: rows }, (_, i) =>
    new Date(Date.parse(window.start) + ((Date.parse(window.end) - Date.parse(window.start)) * i) / rows).toISOString(),
  );
  await suite.pool.query(
    `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
     SELECT $1, $2 || n, t, f, 'ui-test' FROM unnest($3::timestamptz[], $4::jsonb[]) WITH ORDINALITY AS u(t, f, n)`,
    [nastyFs, prefix, times, docs],
  );
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  aptInstall(['chromium'], (line) => console.log(`[ui test] ${line}`));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const declarations = [findModelDeclaration(modelsConfig, model)!, findModelDeclaration(modelsConfig, nastyModel)!];
  // the event-loop-delay check is off: on a loaded machine it sheds the pages for a second now and then
  service = await startService({ declarations, serve: { maxEventLoopDelayMs: 0 } });
  offline = await startService({
    declarations,
    serve: { maxEventLoopDelayMs: 0 },
    temporal: loadConfig({ ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }).temporal,
  });

  // version 1: a real retrain on H2O (no approval asked for this one)
  await writeRows(suite.pool, featureSet, daysWindow(1, 5), 1500, { seed: 11, prefix: 'ref' });
  const first = await suite.client.workflow.execute(retrainModel, {
    taskQueue: suite.worker.taskQueue,
    workflowId: uniqueName(`retrain-${model}`),
    args: [{ model, reason: 'manual', ingestSource: false, requireApproval: false }],
  });
  expect(first).toMatchObject({ version: 1, outcome: 'promoted' });

  // drift: a shifted day; the sensor starts a retrain, which waits for approval
  const window = daysWindow(-1, 1);
  await writeRows(suite.pool, featureSet, window, 1500, { seed: 12, shift: 1, prefix: 'drift' });
  const sensor = await suite.client.workflow.execute(driftSensor, {
    taskQueue: suite.worker.taskQueue,
    workflowId: uniqueName(`sensor-${model}`),
    args: [{ model, window }],
  });
  expect(sensor.verdict).toBe('drift');
  driftReportId = sensor.reportId!;
  retrainId = sensor.retrainWorkflowId!;
  const handle = suite.client.workflow.getHandle(retrainId);
  while ((await handle.query(status)).phase !== 'awaiting-approval') await new Promise((r) => setTimeout(r, 500));
  retrainRunId = (await handle.describe()).runId;

  // the feature named with metacharacters: version 1 with the reference of real rows, and a real sensor run
  const refWindow = daysWindow(2, 3);
  await writeNastyRows(refWindow, 900, 'r');
  const curWindow = daysWindow(0, 1);
  await writeNastyRows(curWindow, 900, 'c');
  const reference = await buildReferenceProfile(
    suite.pool,
    { featureSet: nastyFs, window: refWindow },
    [NASTY, 'spend'],
    { bins: 10, maxCategories: 50 },
  );
  const c = await suite.pool.connect();
  try {
    const { version } = await registerVersion(c, {
      candidate: { ...fakeCandidate(nastyModel, 0.7, reference), featureSet: nastyFs, window: refWindow },
      workflowId: 'ui-test',
      runId: 'ui-test-run',
      reason: NASTY,
    });
    await promoteVersion(c, { model: nastyModel, version, reason: NASTY });
  } finally {
    c.release();
  }
  const nasty = await suite.client.workflow.execute(driftSensor, {
    taskQueue: suite.worker.taskQueue,
    workflowId: uniqueName(`sensor-${nastyModel}`),
    args: [{ model: nastyModel, window: curWindow }],
  });
  nastyReportId = nasty.reportId!;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await offline?.close();
});

describe('model pages in Chromium', () => {
  it('/ui/ lists the model with its production version, champion metric, last verdict and the running retrain linked to its run', async () => {
    // the overview pages by name (after=): start just before this model, whatever else the shared registry holds
    const page = await open(`/ui/?after=${model.slice(0, -1)}`, 'overview-retrain-running');
    const row = page.locator(`tr[data-model="${model}"]`);
    expect(await row.locator('td.production').textContent()).toBe('v1');
    const v1 = (await listVersions(suite.pool, model)).find((v) => v.version === 1)!;
    expect(await row.locator('td.champion').textContent()).toBe(`auc ${Number(v1.metrics.auc!.toPrecision(4))}`);
    expect(await row.locator('td.verdict').textContent()).toBe('drift');
    expect(await row.locator('td.retrain a.retrain-running').getAttribute('href')).toBe(w.run(retrainId, retrainRunId));
    await page.close();
  });

  it('a page still renders when Temporal is unreachable, saying the retrain state is unknown', async () => {
    const page = await open(`/ui/?after=${model.slice(0, -1)}`, 'overview-temporal-unreachable', offline.url);
    const row = page.locator(`tr[data-model="${model}"]`);
    expect(await row.locator('td.production').textContent()).toBe('v1');
    expect(await row.locator('td.retrain').textContent()).toBe('unknown');
    expect(await page.locator('p.temporal-unknown').textContent()).toContain('127.0.0.1:1');
    await page.close();
  });

  it('the model page: versions with lineage linked to their runs, the stage history with the approval, the PSI line with thresholds', async () => {
    const handle = suite.client.workflow.getHandle(retrainId);
    await handle.executeUpdate(approve, { args: [{ by: 'ui-test', comment: NASTY }] });
    expect(await handle.result()).toMatchObject({ version: 2, outcome: 'promoted' });

    const page = await open(`/ui/models/${model}`, 'model');
    const versions = await listVersions(suite.pool, model);
    expect(versions.map((v) => [v.version, v.stage])).toEqual([
      [2, 'production'],
      [1, 'archived'],
    ]);
    const rows = page.locator('tr.version');
    expect(await rows.count()).toBe(2);
    for (const [i, v] of versions.entries()) {
      const row = rows.nth(i);
      expect(await row.getAttribute('data-version')).toBe(String(v.version));
      expect(await row.locator('td.stage').textContent()).toBe(v.stage);
      expect(await row.locator('a.run-link').getAttribute('href')).toBe(w.run(v.workflowId, v.runId));
    }
    expect(versions[0]!.workflowId).toBe(retrainId);
    expect(await rows.nth(0).locator('a.report-link').getAttribute('href')).toBe(
      `/ui/models/${model}/drift/${driftReportId}`,
    );

    // stage history: newest first, the approval's comment shown as text
    const events = (
      await suite.pool.query(`SELECT id, reason FROM registry.stage_events WHERE model_name = $1 ORDER BY id DESC`, [
        model,
      ])
    ).rows;
    const shown = page.locator('tr.stage-event');
    expect(await shown.count()).toBe(events.length);
    expect(await shown.locator('td.reason').allTextContents()).toEqual(events.map((e) => e.reason));
    expect(events.some((e) => e.reason.includes(`approved by ui-test: ${NASTY}`))).toBe(true);

    expect(await page.locator('svg.psi-chart circle.psi-point').count()).toBe(1);
    expect(await page.locator('svg.psi-chart line.threshold').count()).toBe(2);
    expect(await page.locator('a.runs-link').getAttribute('href')).toBe(w.query(`ModelName="${model}"`));
    await page.close();
  });

  it('the drift report page: features sorted by PSI, a reference and a current bar per stored bin, categories by name with __unseen__ and __null__', async () => {
    const page = await open(`/ui/models/${model}/drift/${driftReportId}`, 'drift-report');
    const { rows } = await suite.pool.query(
      'SELECT feature_stats, sensor_workflow_id, sensor_run_id FROM monitoring.drift_reports WHERE id = $1',
      [driftReportId],
    );
    const stats = rows[0].feature_stats as Record<string, { psi: number; bins: string[] }>;
    const byPsi = Object.entries(stats)
      .sort((a, b) => b[1].psi - a[1].psi)
      .map(([f]) => f);
    const sections = page.locator('section.feature');
    expect(await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-feature')))).toEqual(byPsi);
    for (const [feature, s] of Object.entries(stats)) {
      const svg = page.locator(`section.feature[data-feature="${feature}"] svg.share-bars`);
      expect(await svg.locator('rect.bar-reference').count(), feature).toBe(s.bins.length);
      expect(await svg.locator('rect.bar-current').count(), feature).toBe(s.bins.length);
      expect(await svg.locator('g.bin').evaluateAll((els) => els.map((e) => e.getAttribute('data-bin')))).toEqual(
        s.bins,
      );
    }
    expect(stats.plan!.bins).toEqual(expect.arrayContaining(['basic', 'plus', 'pro', '__unseen__', '__null__']));
    expect(await page.locator('a.run-link').first().getAttribute('href')).toBe(
      w.run(rows[0].sensor_workflow_id, rows[0].sensor_run_id),
    );
    await page.close();
  });

  it('a feature name and a stage reason full of HTML metacharacters are shown as text, and run nothing', async () => {
    const report = await open(`/ui/models/${nastyModel}/drift/${nastyReportId}`, 'drift-report-metacharacters');
    expect(await report.locator('section.feature .feature-title').allTextContents()).toContain(NASTY);
    expect(await report.locator('a.feature-name').allTextContents()).toContain(NASTY);
    const bins = await report
      .locator('section.feature g.bin')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-bin')));
    expect(bins).toEqual(expect.arrayContaining(['a<b', 'c&d', '"q"', '__unseen__', '__null__']));
    await report.close();
    const page = await open(`/ui/models/${nastyModel}`, 'model-metacharacters');
    expect(await page.locator('tr.stage-event td.reason').allTextContents()).toEqual([NASTY, NASTY]);
    await page.close();
  });

  it('a missing model or report is a 404 page naming it, a bad parameter a 400 naming the field and value', async () => {
    const page = await browser.newPage();
    const cases: [string, number, string, string][] = [
      ['/ui/models/no_such_model_ui', 404, 'model', 'no_such_model_ui'],
      [`/ui/models/${model}/drift/999999999`, 404, 'report', '999999999'],
      [`/ui/models/${nastyModel}/drift/${driftReportId}`, 404, 'report', String(driftReportId)],
      ['/ui/models/%3Cb%3E', 400, 'model', '<b>'],
      [`/ui/models/${model}/drift/1x`, 400, 'report', '1x'],
      [`/ui/models/${model}?before=-3`, 400, 'before', '-3'],
    ];
    for (const [path, code, field, value] of cases) {
      const res = await page.goto(`${service.url}${path}`);
      expect(res?.status(), path).toBe(code);
      const p = page.locator('p.error');
      expect(await p.getAttribute('data-field'), path).toBe(field);
      expect(await p.getAttribute('data-value'), path).toBe(value);
      expect(await p.textContent(), path).toContain(value);
    }
    await page.screenshot({ path: join(OUT, 'bad-parameter.png') });
    await page.close();
  });
});
