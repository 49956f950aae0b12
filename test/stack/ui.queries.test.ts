/**
 * The model pages stay bounded for a big model: 1,000 versions (2,999 stage events) and 10,000 drift
 * reports in the real registry. Every query a page makes is recorded and run again under EXPLAIN
 * ANALYZE: none reads a whole table (no sequential scan of the registry tables: they are read from
 * migration 055's indexes and the primary keys), and none returns more rows than its page. The pages
 * themselves show capped tables with a working "show more". (Speed is bench:ui's, not a test's.)
 */
import type { Pool, QueryResult } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { driftReportPage } from '../../src/serving/ui/drift-report-page';
import type { UiDeps } from '../../src/serving/ui/deps';
import { webUi } from '../../src/serving/ui/links';
import { EVENTS_PAGE, modelPage, REPORTS, VERSIONS_PAGE } from '../../src/serving/ui/model-page';
import { OVERVIEW_PAGE, overviewPage } from '../../src/serving/ui/overview-page';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';
import { removeSeededModel, seedModel } from '../helpers/ui-seed';

const model = uniqueName('bigui').replace(/-/g, '_');
/** seeded first, so its rows are the oldest: a scan of a table's primary key from the newest end would pass all of the big model's */
const small = uniqueName('smallui').replace(/-/g, '_');
let pool: Pool;
const recorded: { text: string; values: unknown[] }[] = [];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
/** rows a scan node looked at: those it returned and those its filter dropped, over all its loops */
const read = (n: PlanNode) => (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'];

/** UiDeps whose pool records each query; Temporal is not asked (the visibility query is not SQL). */
function deps(): UiDeps {
  const recording = {
    query: async (text: string, values: unknown[]) => {
      recorded.push({ text, values });
      return pool.query(text, values);
    },
  } as unknown as Pick<Pool, 'query'>;
  return {
    pool: recording,
    retrains: { running: async () => ({ known: false, reason: 'not asked in this test' }), close: async () => {} },
    declared: [],
    drift: loadConfig().drift,
    webUi: webUi('http://127.0.0.1:8233', 'default'),
  };
}

/** Runs each recorded query under EXPLAIN ANALYZE; returns the plans' nodes and top-level row counts. */
async function explain(): Promise<{ text: string; scans: PlanNode[]; rows: number }[]> {
  const out = [];
  for (const q of recorded.splice(0)) {
    const res: QueryResult<{ 'QUERY PLAN': [{ Plan: PlanNode }] }> = await pool.query(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${q.text}`,
      q.values,
    );
    const plan = res.rows[0]!['QUERY PLAN'][0].Plan;
    out.push({ text: q.text, scans: nodes(plan).filter((n) => n['Relation Name']), rows: plan['Actual Rows'] });
  }
  return out;
}

const BIG_TABLES = ['model_versions', 'stage_events', 'drift_reports'];

beforeAll(async () => {
  pool = testPool();
  await seedModel(pool, small, 1, 1);
  await seedModel(pool, model, 1000, 10_000);
}, 300_000);

afterAll(async () => {
  await removeSeededModel(pool, model);
  await removeSeededModel(pool, small);
  await pool.end();
});

describe('model pages on 1,000 versions and 10,000 drift reports', () => {
  it('the model page reads its pages from indexes and shows capped tables with "show more"', async () => {
    const page = (await modelPage(deps(), model, {}))!.text;
    const plans = await explain();
    expect(plans.length).toBeGreaterThanOrEqual(5);
    const cap = Math.max(VERSIONS_PAGE, EVENTS_PAGE, REPORTS) + 1;
    for (const p of plans) {
      for (const s of p.scans.filter((n) => BIG_TABLES.includes(n['Relation Name']!))) {
        expect(s['Node Type'], `${s['Relation Name']} in ${p.text}`).not.toBe('Seq Scan');
        expect(read(s), `rows read from ${s['Relation Name']} in ${p.text}`).toBeLessThanOrEqual(cap);
      }
      expect(p.rows).toBeLessThanOrEqual(cap);
    }
    expect(plans.flatMap((p) => p.scans.map((s) => s['Index Name']))).toEqual(
      expect.arrayContaining(['drift_reports_by_model_window', 'model_versions_pkey']),
    );

    expect(page.match(/<tr class="version"/g)).toHaveLength(VERSIONS_PAGE);
    expect(page.match(/<tr class="stage-event"/g)).toHaveLength(EVENTS_PAGE);
    expect(page.match(/<tr class="report"/g)).toHaveLength(REPORTS);
    expect(page.match(/<circle class="psi-point/g)).toHaveLength(REPORTS);
    expect(page).toContain(`href="/ui/models/${model}?before=951"`);

    // the next page of versions: 950 … 901, again from the primary key
    const next = (await modelPage(deps(), model, { before: 951 }))!.text;
    expect([...next.matchAll(/<tr class="version" data-version="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(
      Array.from({ length: VERSIONS_PAGE }, (_, i) => 950 - i),
    );
    for (const p of await explain())
      for (const s of p.scans.filter((n) => BIG_TABLES.includes(n['Relation Name']!)))
        expect(s['Node Type']).not.toBe('Seq Scan');
  });

  it("a small model beside the big one: its stage history and reports come from migration 055's indexes, not a walk past the big model's rows", async () => {
    const page = (await modelPage(deps(), small, {}))!.text;
    expect(page.match(/<tr class="version"/g)).toHaveLength(1);
    const plans = await explain();
    const scans = plans.flatMap((p) => p.scans).filter((n) => BIG_TABLES.includes(n['Relation Name']!));
    for (const s of scans) {
      expect(s['Node Type'], s['Relation Name']).not.toBe('Seq Scan');
      expect(read(s), `rows read from ${s['Relation Name']} (${s['Index Name']})`).toBeLessThanOrEqual(2);
    }
    expect(scans.map((s) => s['Index Name'])).toEqual(
      expect.arrayContaining(['stage_events_by_model', 'drift_reports_by_model_window']),
    );
  });

  it('a drift report page reads one row by primary key', async () => {
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id FROM monitoring.drift_reports WHERE model_name = $1 ORDER BY id DESC LIMIT 1',
      [model],
    );
    const page = (await driftReportPage(deps(), model, Number(rows[0]!.id)))!.text;
    expect(page.match(/<section class="feature"/g)).toHaveLength(11);
    const [p] = await explain();
    expect(p!.rows).toBe(1);
    expect(p!.scans.map((s) => s['Index Name'])).toEqual(['drift_reports_pkey']);
  });

  it("the overview reads one page of models, each model's parts from an index", async () => {
    await overviewPage(deps(), undefined);
    const [p] = await explain();
    expect(p!.rows).toBeLessThanOrEqual(OVERVIEW_PAGE + 1);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM registry.models');
    const models = Number(rows[0]!.n);
    for (const s of p!.scans.filter((n) => BIG_TABLES.includes(n['Relation Name']!))) {
      expect(s['Node Type'], `${s['Relation Name']}`).not.toBe('Seq Scan');
      // at most one row per model of each part (its production version, its newest version number,
      // its last report): the big model's 1,000 versions and 10,000 reports are never walked
      expect(read(s), `rows read from ${s['Relation Name']} (${s['Index Name']})`).toBeLessThanOrEqual(models);
    }
  });
});
