/** H2O ids (frames, models, grids of a training run) and H2O's form encoding: pure rules, no cluster. */
import { describe, expect, it } from 'vitest';
import { cleanH2OMessage, encodeForm } from '../../src/h2o/http';
import { isSafeH2OId, sanitizeH2OId, trainingRunIds } from '../../src/h2o/ids';

describe('H2O ids', () => {
  it('keeps safe ids and rewrites the rest to [A-Za-z0-9_-] with no leading digit', () => {
    expect(sanitizeH2OId('train-churn_01')).toBe('train-churn_01');
    expect(sanitizeH2OId('model.json')).toBe('model_json');
    expect(sanitizeH2OId('a/b c$d')).toBe('a_b_c_d');
    expect(sanitizeH2OId('7up')).toBe('h7up');
    expect(sanitizeH2OId('-x')).toBe('h-x');
    expect(isSafeH2OId(sanitizeH2OId('retrain-churn/2026.11.26.java'))).toBe(true);
  });

  it('cuts long ids with a hash of the full text, so two long names stay distinct', () => {
    const a = sanitizeH2OId(`${'x'.repeat(200)}a`);
    const b = sanitizeH2OId(`${'x'.repeat(200)}b`);
    expect(a).not.toBe(b);
    expect(isSafeH2OId(a) && isSafeH2OId(b)).toBe(true);
  });

  it('derives every id of a run from the workflow id, under one prefix', () => {
    const ids = trainingRunIds('retrain-churn.v2');
    expect(ids.prefix).toBe('retrain-churn_v2');
    expect(ids.trainFrame).toBe('retrain-churn_v2__train');
    expect(ids.spec('gbm.deep')).toBe('retrain-churn_v2__gbm_deep');
    expect(trainingRunIds('retrain-churn.v2').spec('gbm.deep')).toBe(ids.spec('gbm.deep'));
  });
});

describe('H2O form encoding', () => {
  it('encodes arrays in H2O syntax and leaves out undefined values', () => {
    const form = new URLSearchParams(
      encodeForm({ ignored_columns: ['a', 'b,c'], ntrees: 5, balance_classes: false, seed: undefined, x: null }),
    );
    expect(form.get('ignored_columns')).toBe('["a","b,c"]');
    expect(form.get('ntrees')).toBe('5');
    expect(form.get('balance_classes')).toBe('false');
    expect(form.has('seed')).toBe(false);
    expect(form.has('x')).toBe(false);
  });

  it("strips H2O's message frame", () => {
    expect(cleanH2OMessage('\n\nERROR MESSAGE:\n\nUnknown parameter: foo\n\n')).toBe('Unknown parameter: foo');
  });
});
