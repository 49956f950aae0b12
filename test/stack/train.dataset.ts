/**
 * A generated binary-classification set in the feature store, for training tests and the benchmark:
 * one row per entity (customers), numeric and categorical features, target `churned` ("yes"/"no")
 * drawn from a logistic model of the features, so every algorithm learns something. Seeded: the
 * same name and size give the same rows.
 */
import type { Pool } from 'pg';
import type { TimeWindow } from '../../src/shared/time-window';
import { prng } from '../helpers/prng';

export interface GeneratedSet {
  featureSet: string;
  window: TimeWindow;
  rows: number;
  target: string;
  features: string[];
}

const PLANS = ['basic', 'plus', 'pro'] as const;
const REGIONS = ['north', 'south', 'east', 'west'] as const;

/** Writes `rows` rows into `featureSet`, event times spread over the last 10 days; returns the window covering them. */
export async function generateChurnSet(pool: Pool, featureSet: string, rows = 3000, seed = 42): Promise<GeneratedSet> {
  const rand = prng(seed);
  const dayMs = 86_400_000;
  const end = new Date(Math.floor(Date.now() / dayMs) * dayMs - dayMs); // yesterday 00:00 UTC
  const start = new Date(end.getTime() - 9 * dayMs);
  const ids: string[] = [];
  const times: string[] = [];
  const docs: string[] = [];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(rand() * 72);
    const spend = Math.round((20 + rand() * 100) * 100) / 100;
    const tickets = Math.floor(rand() * rand() * 10);
    const plan = PLANS[Math.floor(rand() * PLANS.length)]!;
    const region = REGIONS[Math.floor(rand() * REGIONS.length)]!;
    const logit =
      -1.2 - 0.04 * tenure + 0.015 * spend + 0.35 * tickets + (plan === 'basic' ? 0.8 : plan === 'pro' ? -0.6 : 0);
    const churned = rand() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
    ids.push(`c${String(i).padStart(6, '0')}`);
    times.push(new Date(start.getTime() + Math.floor(rand() * 9 * dayMs)).toISOString());
    // Some missing values, as real feature rows have.
    const doc: Record<string, unknown> = { tenure, spend, tickets, plan, region, churned };
    if (rand() < 0.03) delete doc.spend;
    docs.push(JSON.stringify(doc));
  }
  await pool.query(
    `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source)
     SELECT $1, e, t, f, 'test-generator' FROM unnest($2::text[], $3::timestamptz[], $4::jsonb[]) AS u(e, t, f)
     ON CONFLICT DO NOTHING`,
    [featureSet, ids, times, docs],
  );
  return {
    featureSet,
    window: { start: start.toISOString(), end: new Date(end.getTime() + dayMs).toISOString() },
    rows,
    target: 'churned',
    features: ['plan', 'region', 'spend', 'tenure', 'tickets'],
  };
}
