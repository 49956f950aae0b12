/**
 * `ingest <source> --follow` and `retrain <model> --follow` as a person sees them: the CLI runs in a
 * real terminal (tmux, 100×30) against the stack, with a worker of this test and a real HTTP source
 * that serves its pages slowly. The screen shows a bar whose pages and records grow, then the summary;
 * Ctrl-C stops following and the run still completes; a retrain shows each H2O job with its percent;
 * piped, the output is plain lines without escape codes; a failed run prints its failure and exits 1.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyntheticSource, type SyntheticSource } from '../../src/demo/synthetic-source';
import { loadConfig, projectRoot } from '../../src/config';
import { listVersions } from '../../src/registry';
import type { SourceDefinition } from '../../src/shared/source-definition';
import { deleteFeatureSets, deleteIngested } from '../helpers/feature-store-cleanup';
import { landed, testSource } from '../helpers/ingest';
import { useStackSuite } from '../helpers/suite';
import { uniqueName, type TestWorker } from '../helpers/temporal';
import { ensureTmux, openTerminal, saveScreens, type Terminal } from '../helpers/tmux';
import { generateChurnSet, type GeneratedSet } from './train.dataset';

const exec = promisify(execFile);
const RECORDS = 400;
const PAGE_SIZE = 20;
const PAGES = RECORDS / PAGE_SIZE;

const sourcesDir = mkdtempSync(join(tmpdir(), 'cli-sources-'));
const model = uniqueName('follow').replace(/-/g, '_');
const featureSet = uniqueName('fs-follow');

/** The worker's models: one with a quick GLM and a GBM that trains long enough to be watched. */
function writeModels(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cli-models-')), 'models.json');
  const declaration = {
    featureSet,
    target: 'churned',
    features: ['plan', 'region', 'spend', 'tenure', 'tickets'],
    metric: 'auc',
    trainingWindow: '30d',
    seed: 1,
    specs: [
      { name: 'glm', algorithm: 'glm', parameters: { family: 'binomial' } },
      { name: 'gbm', algorithm: 'gbm', parameters: { ntrees: 400, max_depth: 6, learn_rate: 0.05 } },
    ],
    retrain: { requireApproval: false, approvalTimeout: '1h' },
  };
  writeFileSync(path, JSON.stringify({ models: { [model]: declaration } }, null, 2));
  return path;
}

const workerConfig = () =>
  loadConfig({
    ...process.env,
    INGEST_SOURCES_DIR: sourcesDir,
    MODELS_CONFIG: writeModels(),
    TRAINING_PROGRESS_INTERVAL_MS: '500',
  });

/**
 * The CLI on the test worker's queue, `tsx src/cli/index.ts` in one process: the tsx launcher would
 * relay the terminal's SIGINT to a child of its own (racing it by 30 ms) and exit in its place, and
 * the test reads the CLI's own exit status.
 */
function cliCommand(worker: TestWorker, args: string): string {
  return `exec env TEMPORAL_TASK_QUEUE=${worker.taskQueue} node --import tsx src/cli/index.ts ${args}`;
}

/** Runs the CLI with its output piped (not a terminal); the in-process worker keeps running meanwhile. */
function piped(worker: TestWorker, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(projectRoot, 'node_modules/.bin/tsx'), ['src/cli/index.ts', ...args], {
      cwd: projectRoot,
      env: { ...process.env, TEMPORAL_TASK_QUEUE: worker.taskQueue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A printed command line, run as a person pastes it: bash in the project folder. */
async function asPrinted(command: string): Promise<string> {
  return (await exec('bash', ['-c', command], { cwd: projectRoot, encoding: 'utf8' })).stdout;
}

const printed = (screen: string[], label: string) =>
  screen.map((l) => new RegExp(`^\\s+${label}\\s+(\\S.*)$`).exec(l)?.[1]).find(Boolean);
/** The counts on the ingest bar line of a screen, if it shows one. */
function ingestBar(screen: string[], source: string): { pages: number; records: number; line: string } | undefined {
  for (const line of screen) {
    const m = new RegExp(`^. ingest ${source} \\[[#<=>-]+\\] pages (\\d+) · records ([\\d,]+) written`).exec(line);
    if (m) return { pages: Number(m[1]), records: Number(m[2]!.replace(/,/g, '')), line };
  }
  return undefined;
}

/** The pages of the last plain progress line. */
const lastPages = (lines: string[]) => Number(/pages (\d+)/.exec(lines.at(-1)!)![1]);

describe('following runs from the CLI', () => {
  beforeAll(() => ensureTmux());
  const suite = useStackSuite({ workerConfig });
  let source: SyntheticSource;
  const terminals: Terminal[] = [];
  const written: SourceDefinition[] = [];
  let set: GeneratedSet | undefined;

  /** A slow source: one page in flight, each answered after a pause, so a person can watch it. */
  function slowSource(): SourceDefinition {
    const definition = testSource(source, 'page', { pageSize: PAGE_SIZE, maxPagesInFlight: 1 });
    writeFileSync(join(sourcesDir, `${definition.name}.json`), JSON.stringify(definition, null, 2));
    written.push(definition);
    return definition;
  }
  async function terminal(args: string): Promise<Terminal> {
    const t = await openTerminal(cliCommand(suite.worker, args), { cwd: projectRoot, width: 100, height: 30 });
    terminals.push(t);
    return t;
  }

  beforeAll(async () => {
    source = await startSyntheticSource({ records: RECORDS, entityPrefix: `${uniqueName('c')}-` });
    source.setFaults(() => ({ kind: 'delay', ms: 300 }));
  });

  afterAll(async () => {
    for (const t of terminals) t.close();
    for (const d of written) await deleteIngested(suite.pool, d.mapping.featureSet, d.name);
    if (set) await deleteFeatureSets(suite.pool, set.featureSet);
    await source?.close();
    rmSync(sourcesDir, { recursive: true, force: true });
  });

  it('ingest --follow in a terminal: a bar whose pages and records grow, redrawn in place, then the summary; the printed describe works', async () => {
    const definition = slowSource();
    const tty = await terminal(`ingest ${definition.name} --follow`);
    const screens: string[][] = [];
    const last = await tty.waitFor((s) => s.some((l) => l.startsWith('done: ')), 180_000, screens);
    saveScreens(projectRoot, 'ingest-follow', screens);
    expect(await tty.exited(30_000)).toBe(0);

    const bars = screens.map((s) => ingestBar(s, definition.name)).filter((b) => b !== undefined);
    const counts = [...new Set(bars.map((b) => b.pages))];
    // the pages were seen growing, a few at a time, never going back
    expect(counts.length).toBeGreaterThanOrEqual(3);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(bars.some((b) => b.pages > 0 && b.pages < PAGES && b.records === b.pages * PAGE_SIZE)).toBe(true);
    // in place: every screen has one bar line, never a scroll of them
    for (const s of screens)
      expect(s.filter((l) => l.includes(`ingest ${definition.name} [`)).length).toBeLessThanOrEqual(1);

    const final = ingestBar(last, definition.name)!;
    expect(final).toMatchObject({ pages: expect.any(Number), records: RECORDS });
    expect(final.line).toMatch(/\[#+\]/); // full once done
    expect(last).toContain(
      `done: ${RECORDS} records written from ${final.pages} pages of ${definition.name} into feature set ${definition.mapping.featureSet} (${RECORDS} seen, 0 dead letters, 0 duplicates merged; reconciled)`,
    );
    expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(RECORDS);

    const workflowId = printed(last, 'workflow id')!;
    const runId = printed(last, 'run id')!;
    expect(workflowId).toMatch(new RegExp(`^ingest-${definition.name}-`));
    expect(printed(last, 'Web UI')).toBe(
      `http://${loadConfig().temporal.host}:${loadConfig().temporal.uiPort}/namespaces/${loadConfig().temporal.namespace}/workflows/${workflowId}/${runId}/history`,
    );
    const describe = printed(last, 'describe')!;
    expect(describe).toBe(`npm run temporal -- workflow describe --workflow-id ${workflowId}`);
    const described = await asPrinted(describe);
    expect(described).toContain(workflowId);
    expect(described).toMatch(/Status\s+COMPLETED/);
  });

  it('Ctrl-C stops following and says the run continues; the run completes with every record', async () => {
    const definition = slowSource();
    const tty = await terminal(`ingest ${definition.name} --follow`);
    const screens: string[][] = [];
    await tty.waitFor((s) => (ingestBar(s, definition.name)?.pages ?? 0) >= 2, 120_000, screens);
    await tty.sendKeys('C-c');
    const after = await tty.waitFor((s) => s.some((l) => l.startsWith('stopped following')), 30_000, screens);
    saveScreens(projectRoot, 'ingest-ctrl-c', screens);
    expect(after).toContain('stopped following: the run continues (Ctrl-C never cancels it).');
    const workflowId = printed(after, 'workflow id')!;
    expect(printed(after, 'follow it again')).toBe(`npx tsx src/cli/index.ts ingest --attach ${workflowId}`);
    expect(await tty.exited(30_000)).toBe(130);
    const stoppedAt = ingestBar(after, definition.name)!.pages;
    expect(stoppedAt).toBeLessThan(PAGES);

    // the run went on without the CLI
    const out = await suite.client.workflow.getHandle(workflowId).result();
    expect(out).toMatchObject({ recordsWritten: RECORDS, reconciled: true });
    expect((await landed(suite.pool, definition.mapping.featureSet)).rows).toBe(RECORDS);
    expect(await asPrinted(printed(after, 'describe it')!)).toMatch(/Status\s+COMPLETED/);

    // following it again, now that it ended, prints its result
    const again = await piped(suite.worker, ['ingest', '--attach', workflowId]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`done: ${RECORDS} records written`);
  });

  it('piped (not a terminal): plain lines, one per change, no escape codes', async () => {
    const definition = slowSource();
    const { code, stdout, stderr } = await piped(suite.worker, ['ingest', definition.name, '--follow']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toContain('\x1b');
    const lines = stdout.split('\n');
    const progress = lines.filter((l) => l.startsWith(`ingest ${definition.name}: `));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).not.toBe(progress[i - 1]);
    expect(progress.some((l) => /: pages \d+ · records \d+ written/.test(l))).toBe(true);
    expect(lines, stdout).toContainEqual(expect.stringMatching(/^done: /));
    expect(lines.find((l) => l.startsWith('done: '))).toBe(
      `done: ${RECORDS} records written from ${lastPages(progress)} pages of ${definition.name} into feature set ${definition.mapping.featureSet} (${RECORDS} seen, 0 dead letters, 0 duplicates merged; reconciled)`,
    );
  });

  it('a run that fails prints its failure type and message and exits 1', async () => {
    const undeclared = uniqueName('nomodel').replace(/-/g, '_');
    const { code, stdout, stderr } = await piped(suite.worker, ['retrain', undeclared, '--follow']);
    expect(stdout).toContain(`started a retrain of ${undeclared}`);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^failed: ValidationError: model="${undeclared}" is invalid: is not declared in MODELS_CONFIG`, 'm'),
    );
  });

  it('retrain --follow in a terminal: each H2O job with its percent, then the version registered and promoted; a second start joins it', async () => {
    set = await generateChurnSet(suite.pool, featureSet, 3000);
    const tty = await terminal(`retrain ${model} --follow --reason 'watching it train'`);
    const screens: string[][] = [];
    const jobLine = (s: string[], spec: string) =>
      s.find((l) => new RegExp(`^\\s+${spec} \\(${spec}\\)\\s+\\[[#-]+\\]\\s+\\d+% `).test(l));
    await tty.waitFor((s) => jobLine(s, 'gbm') !== undefined, 180_000, screens);

    // while it runs, a second start joins it instead of starting another
    const joined = await piped(suite.worker, ['retrain', model, '--reason', 'a second trigger']);
    expect(joined.code).toBe(0);
    expect(joined.stdout).toMatch(
      new RegExp(`^joined the retrain of ${model} already running since .*\\(retrain ${model}: watching it train`, 'm'),
    );

    const last = await tty.waitFor((s) => s.some((l) => l.startsWith('done: ')), 600_000, screens);
    saveScreens(projectRoot, 'retrain-follow', screens);
    expect(await tty.exited(30_000)).toBe(0);
    const runId = printed(last, 'run id')!;
    expect(joined.stdout).toContain(`run id       ${runId}`);

    const percents = screens
      .map((s) => jobLine(s, 'gbm'))
      .filter(Boolean)
      .map((l) => Number(/(\d+)% /.exec(l!)![1]));
    // H2O's percent of the GBM job was seen part-way, and rising
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(
      screens.some((s) =>
        s.some((l) =>
          /^. retrain \S+ \[[#-]+\] training: \d\/2 jobs done · [\d,]+ train \/ [\d,]+ validation rows/.test(l),
        ),
      ),
    ).toBe(true);
    expect(jobLine(last, 'glm')).toMatch(/100% succeeded, metric 0\.\d{4}/);
    expect(jobLine(last, 'gbm')).toMatch(/100% succeeded, metric 0\.\d{4}/);

    const [v1] = await listVersions(suite.pool, model);
    expect(v1).toMatchObject({ version: 1, stage: 'production' });
    expect(last.find((l) => l.startsWith('done: '))).toMatch(
      new RegExp(
        `^done: version 1 of ${model} registered and promoted to production \\(champion (glm|gbm), auc 0\\.\\d{4}\\)`,
      ),
    );
    expect(await asPrinted(printed(last, 'describe')!)).toMatch(/Status\s+COMPLETED/);
  });
});
