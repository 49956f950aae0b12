/**
 * The training set is point-in-time correct: each label row gets the latest feature row of its entity
 * at or before the label's event time (never a later one), labels outside the window or without the
 * target are left out, column types follow the JSON types, and the split is deterministic.
 * Runs the extraction directly against PostgreSQL and H2O and reads the frames back as CSV.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTrainingSet } from '../../src/feature-store/training-set';
import { loadConfig } from '../../src/config';
import { ValidationError } from '../../src/shared/errors';
import { H2OClient } from '../../src/h2o/client';
import { trainingRunIds } from '../../src/h2o/ids';
import { deleteFeatureSets } from '../helpers/feature-store-cleanup';
import { testPool } from '../helpers/postgres';
import { uniqueName } from '../helpers/temporal';

const config = loadConfig();
const h2o = new H2OClient(config.h2o.url);
const day = 86_400_000;
const base = Math.floor(Date.now() / day) * day - 5 * day;
const at = (hours: number) => new Date(base + hours * 3_600_000).toISOString();

async function frameCsv(frameId: string): Promise<Array<Record<string, string>>> {
  let text = '';
  for await (const chunk of await h2o.downloadFrame(frameId)) text += chunk.toString();
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',').map((n) => n.replace(/"/g, ''));
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v.replace(/"/g, '')])));
}

describe('training set extraction', () => {
  let pool: Pool;
  const features = uniqueName('fs-pit-features');
  const labels = uniqueName('fs-pit-labels');
  const workflowId = uniqueName('pit');

  beforeAll(async () => {
    pool = testPool();
    const rows: Array<[string, string, string, Record<string, unknown>]> = [];
    for (let i = 0; i < 40; i++) {
      const e = `e${i}`;
      // Feature rows at hours 1 and 3; the label at hour 2 must see the hour-1 row.
      rows.push([features, e, at(1), { tag: `${e}@1`, x: i * 10 + 1, meta: { nested: true } }]);
      rows.push([features, e, at(3), { tag: `${e}@3`, x: i * 10 + 3, meta: { nested: true } }]);
      rows.push([labels, e, at(2), { y: i % 3 === 0 ? 'yes' : 'no' }]);
    }
    // e_same: feature row exactly at the label time is included (at or before).
    rows.push([features, 'e_same', at(2), { tag: 'e_same@2', x: 2, meta: {} }]);
    rows.push([labels, 'e_same', at(2), { y: 'yes' }]);
    // e_late: only a feature row after the label: the row is kept with missing features.
    rows.push([features, 'e_late', at(4), { tag: 'e_late@4', x: 4, meta: {} }]);
    rows.push([labels, 'e_late', at(2), { y: 'no' }]);
    // Left out: a label outside the window, a label row without the target, a null target.
    rows.push([labels, 'e_out', at(30), { y: 'yes' }]);
    rows.push([labels, 'e_notarget', at(2), { z: 1 }]);
    rows.push([labels, 'e_null', at(2), { y: null }]);
    for (const [fs, e, t, f] of rows) {
      await pool.query(
        'INSERT INTO features.feature_values (feature_set, entity_id, event_time, features) VALUES ($1, $2, $3, $4)',
        [fs, e, t, JSON.stringify(f)],
      );
    }
  });

  afterAll(async () => {
    const ids = trainingRunIds(workflowId);
    await h2o.deleteFrame(ids.trainFrame);
    await h2o.deleteFrame(ids.validationFrame);
    await deleteFeatureSets(pool, [features, labels]);
    await pool.end();
  });

  const input = () => ({
    workflowId,
    featureSet: features,
    labelFeatureSet: labels,
    target: 'y',
    window: { start: at(0), end: at(24) },
    metric: 'auc' as const,
    validationFraction: 0.3,
  });

  it('joins each label to the latest feature row at or before it, with explicit column types', async () => {
    const out = await extractTrainingSet({ config, pool }, input());
    expect(out.rows.train + out.rows.validation).toBe(42);
    expect(out.features).toEqual([
      { name: 'tag', type: 'Enum' },
      { name: 'x', type: 'Numeric' },
    ]);
    expect(out.skippedFeatures).toEqual(['meta']);
    expect(out.target).toEqual({ name: 'y', type: 'Enum' });

    const frame = await h2o.frame(out.trainFrame);
    expect(frame.columns!.map((c) => [c.label, c.type])).toEqual([
      ['tag', 'enum'],
      ['x', 'int'],
      ['y', 'enum'],
    ]);

    const all = [...(await frameCsv(out.trainFrame)), ...(await frameCsv(out.validationFrame))];
    const tags = all.map((r) => r.tag);
    for (let i = 0; i < 40; i++) expect(tags).toContain(`e${i}@1`);
    expect(tags.some((t) => t?.endsWith('@3'))).toBe(false);
    expect(tags).toContain('e_same@2');
    expect(tags).not.toContain('e_late@4');
    const late = all.filter((r) => r.tag === '' || r.tag === 'NA' || r.tag === undefined);
    expect(late).toHaveLength(1);
  });

  it('splits deterministically by entity: a retry gives the same frames', async () => {
    const first = await extractTrainingSet({ config, pool }, input());
    const trainTags = (await frameCsv(first.trainFrame)).map((r) => r.tag).sort();
    const again = await extractTrainingSet({ config, pool }, input());
    expect(again.rows).toEqual(first.rows);
    expect((await frameCsv(again.trainFrame)).map((r) => r.tag).sort()).toEqual(trainTags);
  });

  it('names the field when a requested feature does not exist', async () => {
    const err = await extractTrainingSet({ config, pool }, { ...input(), features: ['x', 'nope'] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain('features[1]="nope"');
  });
});
