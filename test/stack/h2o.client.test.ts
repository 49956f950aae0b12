/**
 * The H2O client against the real cluster: error bodies (H2O's message, HTTP status, parameter),
 * unknown keys, explicit column types on parse, job polling, MOJO download, cleanup. The id rules and
 * the form encoding are pure: test/unit/h2o.ids.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { H2OError, H2OUnreachableError, isMojoGated } from '../../src/shared/errors';
import { H2OClient } from '../../src/h2o/client';
import { sanitizeH2OId } from '../../src/h2o/ids';
import { pollJob } from '../../src/h2o/jobs';
import { uniqueName } from '../helpers/temporal';

const h2o = new H2OClient(loadConfig().h2o.url);

describe('H2O client on the real cluster', () => {
  const frame = sanitizeH2OId(uniqueName('client_frame'));
  const model = `${frame}__gbm`;

  beforeAll(async () => {
    const rows = ['x,color,label'];
    for (let i = 0; i < 200; i++) rows.push(`${i % 17},${['red', 'green', 'blue'][i % 3]},${i % 17 > 8 ? 1 : 0}`);
    await h2o.postFile(`${frame}_raw`, Buffer.from(`${rows.join('\n')}\n`));
    // label holds 0/1: declared Enum, it must come out categorical, not numeric.
    const job = await h2o.parse({
      sourceFrames: [`${frame}_raw`],
      destinationFrame: frame,
      columnTypes: ['Numeric', 'Enum', 'Enum'],
    });
    await pollJob(h2o, job.key.name);
  });

  afterAll(async () => {
    await h2o.deleteModel(model);
    await h2o.deleteFrame(frame);
  });

  it('reports the cloud, its version and capabilities', async () => {
    const cloud = await h2o.cloud();
    expect(cloud.version).toBe(loadConfig().h2o.version);
    expect(cloud.cloud_healthy).toBe(true);
    expect(Array.isArray(await h2o.capabilities())).toBe(true);
  });

  it('parses with the explicit column types', async () => {
    const f = await h2o.frame(frame);
    expect(f.rows).toBe(200);
    expect(f.columns!.map((c) => [c.label, c.type])).toEqual([
      ['x', 'int'],
      ['color', 'enum'],
      ['label', 'enum'],
    ]);
    expect(f.columns![2]!.domain).toEqual(['0', '1']);
  });

  it('turns an unknown parameter into H2OError 412 naming the parameter', async () => {
    const err = await h2o
      .buildModel('gbm', { training_frame: frame, response_column: 'label', not_a_param: 3 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OError);
    expect((err as H2OError).status).toBe(412);
    expect((err as H2OError).field).toBe('not_a_param');
    expect((err as H2OError).message).toContain('Unknown parameter: not_a_param');
  });

  it("turns a validation failure into H2OError 412 with H2O's message and the first failing field", async () => {
    const err = await h2o
      .buildModel('gbm', { training_frame: frame, response_column: 'label', ntrees: -1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2OError);
    expect((err as H2OError).status).toBe(412);
    expect((err as H2OError).field).toBe('ntrees');
    expect((err as H2OError).message).toMatch(/ntrees must be between 1 and/);
  });

  it('answers unknown keys with 404 (find… returns undefined)', async () => {
    const err = await h2o.model('no_such_model_x').catch((e: unknown) => e);
    expect((err as H2OError).status).toBe(404);
    expect(await h2o.findModel('no_such_model_x')).toBeUndefined();
    expect(await h2o.findFrame('no_such_frame_x')).toBeUndefined();
    expect(await h2o.deleteModel('no_such_model_x')).toBe(false);
  });

  it('trains, polls to DONE, reads validation metrics, predicts and downloads the MOJO', async () => {
    const job = await h2o.buildModel('gbm', {
      model_id: model,
      training_frame: frame,
      validation_frame: frame,
      response_column: 'label',
      ntrees: 3,
      seed: 1,
    });
    expect(job.dest?.name).toBe(model);
    const polls: number[] = [];
    const done = await pollJob(h2o, job.key.name, { onPoll: (j) => void polls.push(j.progress) });
    expect(done.status).toBe('DONE');
    expect(polls.length).toBeGreaterThan(0);
    const m = await h2o.model(model);
    expect(m.algo).toBe('gbm');
    expect(typeof m.output?.validation_metrics?.AUC).toBe('number');
    const predictions = await h2o.predict(model, frame, `${frame}_pred`);
    expect(predictions.predictions_frame.name).toBe(`${frame}_pred`);
    expect(await h2o.deleteFrame(`${frame}_pred`)).toBe(true);
    const mojo = await h2o.downloadMojo(model).catch((e: unknown) => e);
    if (isMojoGated(mojo)) throw new Error('this H2O build gates MOJO export');
    const chunks: Buffer[] = [];
    for await (const chunk of mojo as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).subarray(0, 2).toString()).toBe('PK');
  });

  it('reports an unreachable cluster as H2OUnreachableError', async () => {
    const down = new H2OClient('http://127.0.0.1:9', { timeoutMs: 2000 });
    await expect(down.cloud()).rejects.toBeInstanceOf(H2OUnreachableError);
  });
});
