/**
 * `npm run demo`: the whole loop on the local stack (npm runs stack:up first).
 *
 *  1. a background worker (kept running, so the Schedule keeps firing afterwards) and stackHealth;
 *  2. a synthetic customer API on loopback, ingested into feature set `demo_customers`;
 *  3. retrainModel trains three specs on H2O and promotes version 1 of model `churn`;
 *  4. schedules:apply creates the drift sensor's Schedule from models.yaml;
 *  5. the API's distributions shift, a day of new records is ingested (incrementally);
 *  6. the Schedule is triggered: the sensor finds drift and starts a retrain, which promotes version 2.
 * After steps 3 and 6 it scores three customers through the inference service (which stack:up
 * started): the same request is answered by version 1, then by version 2, with no restart.
 * It prints PSI per feature, the versions and links into the Web UI, and leaves the stack running.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { findModelDeclaration } from '../catalog/models';
import { applySchedules, connectTemporal, startIngest, startRetrain, startStackHealth } from '../client';
import { config } from '../config';
import { startSyntheticSource, syntheticSourceDefinition, type SyntheticSource } from '../demo/synthetic-source';
import { createPool } from '../postgres';
import { listVersions } from '../registry';
import type { DriftSensorWorkflow } from '../shared/contracts/drift-sensor';
import type { RetrainModelWorkflow } from '../shared/contracts/retrain-model';
import { ValidationError } from '../shared/errors';
import { retrainWorkflowId, sensorScheduleId, stackHealthWorkflowId } from '../shared/ids';
import { stackContext } from '../stack/cli';
import { sleep } from '../stack/process';
import { ensureWorkerDaemon } from '../stack/worker';
import { ensureServiceDaemon, serviceUrl } from '../stack/service';
import { request } from 'undici';
import { formatVersions } from './versions';
import { temporalHint } from './temporal';

const MODEL = 'churn';
const SOURCE = 'demo-customers';
const DAY_MS = 86_400_000;
/** Reference data: 12,000 records over three days ending a day ago; the shifted day adds 4,000 more. */
const INITIAL_RECORDS = 12_000;
const SHIFTED_RECORDS = 4_000;
/** How far the distributions move, in standard deviations. */
const SHIFT = 1.0;

export async function demo(args: string[]): Promise<number> {
  if (args.length) throw new ValidationError('demo arguments', args.join(' '), 'demo takes no arguments');
  const cfg = config();
  const started = Date.now();
  const ui = `http://${cfg.temporal.host}:${cfg.temporal.uiPort}/namespaces/${encodeURIComponent(cfg.temporal.namespace)}`;
  const step = (n: number, text: string) =>
    console.log(`\n[${n}/6] ${text} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
  const declared = findModelDeclaration(cfg.models.configPath, MODEL);
  if (!declared)
    throw new ValidationError(
      'MODELS_CONFIG',
      cfg.models.configPath,
      `must declare model "${MODEL}" for the demo (see models.yaml)`,
    );

  step(1, 'worker and stack health');
  const ctx = stackContext((line) => console.log(`  ${line}`));
  const worker = await ensureWorkerDaemon(ctx);
  console.log(
    `  worker pid ${worker.pid} ${worker.started ? 'started' : 'already running'} on task queue ${cfg.temporal.taskQueue}`,
  );
  const service = await ensureServiceDaemon(ctx);
  const api = serviceUrl(ctx);
  console.log(`  inference service pid ${service.pid} ${service.started ? 'started' : 'already running'} on ${api}`);
  const temporal = await connectTemporal(cfg);
  const client = temporal.client;
  const pool = createPool(cfg.postgres, 'mlops-demo');
  // Reference records end a day ago; the shifted ones fill the last day, the sensor's window.
  const source = await startSyntheticSource({
    records: INITIAL_RECORDS,
    entities: 3_000,
    anchor: started - DAY_MS,
    spanDays: 3,
    seed: 42,
  });
  try {
    const healthRun = await startStackHealth(
      client,
      { requestedBy: 'npm run demo' },
      { taskQueue: cfg.temporal.taskQueue, workflowId: stackHealthWorkflowId(started) },
    );
    const health = await healthRun.result();
    for (const c of health.components) console.log(`  ${c.component.padEnd(9)} ${c.version}`);

    step(
      2,
      `ingest ${INITIAL_RECORDS} records from a synthetic customer API (${source.url}) into feature set ${declared.featureSet}`,
    );
    // `full`: a previous demo's watermark lies after these records' event times.
    await ingest(client, source, declared.featureSet, true);

    step(3, `train ${declared.specs.map((s) => s.name).join(', ')} on H2O and promote version 1 of "${MODEL}"`);
    // Joins a retrain of this model that is already running instead of starting a second one.
    const retrain = await startRetrain(
      client,
      { model: MODEL, reason: 'demo: first version', trigger: 'manual' },
      { taskQueue: cfg.temporal.taskQueue, summary: `retrain ${MODEL}: manual (npm run demo)` },
    );
    const first = await retrain.result();
    console.log(
      `  version ${first.version} ${first.outcome}: champion ${first.specName}, ${first.metric} ${first.metricValue.toFixed(4)}`,
    );
    await scoreEntities(api, first.version);

    step(4, 'apply the drift sensor schedule from models.yaml');
    for (const s of await applySchedules(client, [declared], cfg.temporal.taskQueue))
      console.log(`  schedule ${s.scheduleId}: ${s.outcome}`);

    step(5, `shift the API's distributions by ${SHIFT} sd and ingest a new day of ${SHIFTED_RECORDS} records`);
    source.setShift(SHIFT);
    source.setRecordCount(INITIAL_RECORDS + SHIFTED_RECORDS);
    await ingest(client, source, declared.featureSet, false);

    step(6, 'trigger the drift sensor; on drift it starts a retrain');
    const sensor = await triggerSchedule(client, sensorScheduleId(MODEL));
    const report = await sensor.result();
    console.log(
      `  verdict ${report.verdict}, max PSI ${report.maxPsi?.toFixed(3) ?? 'n/a'} (report ${report.reportId ?? 'none'})`,
    );
    const byPsi = Object.entries(report.psi ?? {}).sort((a, b) => b[1] - a[1]);
    for (const [feature, psi] of byPsi.slice(0, 8)) console.log(`    ${feature.padEnd(24)} PSI ${psi.toFixed(3)}`);
    if (byPsi.length > 8)
      console.log(
        `    … ${byPsi.length - 8} more features, lowest PSI ${byPsi.at(-1)![1].toFixed(3)} (${byPsi.at(-1)![0]}): npx tsx src/cli/index.ts versions ${MODEL}, or monitoring.drift_reports`,
      );
    if (report.retrainWorkflowId) {
      const second = await client.workflow.getHandle<RetrainModelWorkflow>(report.retrainWorkflowId).result();
      console.log(
        `  retrain ${report.retrainWorkflowId}: version ${second.version} ${second.outcome}, ${second.metric} ${second.metricValue.toFixed(4)}`,
      );
      if (second.outcome === 'promoted') await scoreEntities(api, second.version);
    } else {
      console.log('  no retrain started (no drift found)');
    }

    console.log(`\nversions of "${MODEL}":\n${formatVersions(await listVersions(pool, MODEL, 10))}`);
    console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)}s. Where to look:`);
    console.log(`  model pages            ${api}/ui/models/${MODEL} (every model: ${api}/ui/)`);
    console.log(`  Temporal Web UI        ${ui}/workflows`);
    console.log(`  this model's runs      ${ui}/workflows?query=${encodeURIComponent(`ModelName="${MODEL}"`)}`);
    console.log(`  the drift schedule     ${ui}/schedules/${sensorScheduleId(MODEL)}`);
    console.log(
      `  predictions            curl -s -X POST ${api}/v1/models/${MODEL}/predict -H 'content-type: application/json' -d '${JSON.stringify({ entities: DEMO_ENTITIES })}'`,
    );
    console.log(`  service metrics        curl -s ${api}/metrics | grep mlops_serve_`);
    for (const [what, command] of demoShellHints(cfg.temporal.taskQueue))
      console.log(`  ${what.padEnd(22)} ${command}`);
    console.log(
      'The stack, the worker and the inference service keep running: npm run stack:status, npm run stack:down.',
    );
    return 0;
  } finally {
    await source.close();
    await pool.end();
    await temporal.close();
  }
}

const DEMO_ENTITIES = ['cust-1', 'cust-2', 'cust-3'];

/** Scores the demo's customers through the service, waiting (up to 15 s) for it to serve `version`. */
async function scoreEntities(api: string, version: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await request(`${api}/v1/models/${MODEL}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entities: DEMO_ENTITIES }),
    });
    const body = (await res.body.json()) as {
      version?: number;
      error?: string;
      predictions?: { entity: string; version: number; label: string; probabilities: Record<string, number> }[];
    };
    if (res.statusCode === 200 && body.version === version) {
      console.log(
        `  POST ${api}/v1/models/${MODEL}/predict {"entities": [${DEMO_ENTITIES.map((e) => `"${e}"`).join(', ')}]}`,
      );
      for (const p of body.predictions!)
        console.log(
          `    ${p.entity}: ${p.label} (${Object.entries(p.probabilities)
            .map(([c, v]) => `${c} ${v.toFixed(3)}`)
            .join(', ')}), scored by version ${p.version}`,
        );
      return;
    }
    if (Date.now() > deadline)
      throw new Error(
        `the inference service did not serve ${MODEL} version ${version} within 15 s (last answer ${res.statusCode}: ${body.error ?? `version ${body.version}`}); see .stack/logs/serve.log`,
      );
    await sleep(250);
  }
}

/** The shell commands the demo ends with, in the form that runs as printed (src/cli/temporal.ts). */
export function demoShellHints(taskQueue: string, model = MODEL): Array<[what: string, command: string]> {
  return [
    ['from a shell', temporalHint(`workflow list --query 'ModelName="${model}"'`)],
    [
      'manual retrain',
      temporalHint(
        `workflow start --type retrainModel --task-queue ${taskQueue} --workflow-id ${retrainWorkflowId(model)} --input '{"model":"${model}","reason":"manual"}'`,
      ),
    ],
  ];
}

async function ingest(client: Client, source: SyntheticSource, featureSet: string, full: boolean): Promise<void> {
  const definition = syntheticSourceDefinition(source, 'offset', {
    name: SOURCE,
    featureSet,
    maxPagesInFlight: 4,
    pageSize: 500,
  });
  const handle = await startIngest(client, { source: SOURCE, definition, full });
  const result = await handle.result();
  console.log(
    `  ${handle.workflowId}: ${result.recordsSeen} records seen, ${result.recordsWritten} written, ${result.deadLetters} dead letters, ${result.pages} pages`,
  );
}

/** Triggers a schedule and returns the handle of the run it started. */
async function triggerSchedule(client: Client, scheduleId: string): Promise<WorkflowHandle<DriftSensorWorkflow>> {
  const schedule = client.schedule.getHandle(scheduleId);
  const before = (await schedule.describe()).info.numActionsTaken;
  await schedule.trigger();
  for (let i = 0; i < 300; i++) {
    const info = (await schedule.describe()).info;
    const latest = info.recentActions.at(-1);
    if (info.numActionsTaken > before && latest)
      return client.workflow.getHandle(latest.action.workflow.workflowId, latest.action.workflow.firstExecutionRunId);
    await sleep(200);
  }
  throw new Error(`schedule ${scheduleId} did not start a run within 60s of the trigger`);
}
