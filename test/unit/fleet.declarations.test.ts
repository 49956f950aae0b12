/**
 * A fleet's declarations: templates merged into each model (then validated as if written out), the
 * sensor jitter's defaults and its bound, the training queue's config rule, and `schedules apply`'s
 * schedule options carrying the jitter.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDeclarations } from '../../src/catalog/models';
import { sensorScheduleOptions } from '../../src/client';
import { loadConfig } from '../../src/config';
import { sensorJitterMs, validateModelsFile } from '../../src/shared/model-declaration';

const base = { featureSet: 'fs', target: 'y', metric: 'auc', specs: [{ name: 'glm', algorithm: 'glm' }] };

function writeYaml(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'models.yaml');
  writeFileSync(path, text);
  return path;
}

describe('fleet declarations', () => {
  it('merges a template into every model and validates the result', () => {
    const lines = [
      'templates:',
      '  t: &t { target: y, metric: auc, specs: [{ name: glm, algorithm: glm }], drift: { every: 1h } }',
      'models:',
    ];
    for (let i = 0; i < 300; i++) lines.push(`  m${i}: { <<: *t, featureSet: fs${i % 3} }`);
    const models = loadModelDeclarations(writeYaml(lines.join('\n')));
    expect(models).toHaveLength(300);
    expect(models[299]).toMatchObject({ name: 'm299', featureSet: 'fs2', target: 'y', drift: { every: '1h' } });
    // a merged model that lacks a required field is refused, naming it
    const broken = writeYaml(
      [
        'templates:',
        '  t: &t { metric: auc, specs: [{ name: glm, algorithm: glm }] }',
        'models:',
        '  m: { <<: *t, featureSet: fs }',
      ].join('\n'),
    );
    expect(() => loadModelDeclarations(broken)).toThrow(/models\.m\.target/);
  });

  it('reads the file again when it changes, not on every lookup', () => {
    const path = writeYaml(
      'models:\n  a: { featureSet: fs, target: y, metric: auc, specs: [{ name: glm, algorithm: glm }] }\n',
    );
    const first = loadModelDeclarations(path);
    expect(loadModelDeclarations(path)[0]).toBe(first[0]);
    writeFileSync(
      path,
      'models:\n  b: { featureSet: fs, target: y, metric: auc, specs: [{ name: glm, algorithm: glm }] }\n  c: { featureSet: fs, target: y, metric: auc, specs: [{ name: glm, algorithm: glm }] }\n',
    );
    expect(loadModelDeclarations(path).map((m) => m.name)).toEqual(['b', 'c']);
  });

  it('jitter: none unless declared (a backfill would drop jittered runs past its end), declared must be shorter than every', () => {
    const [hourly] = validateModelsFile({ models: { m: { ...base, drift: { every: '1h' } } } });
    expect(sensorJitterMs(hourly!.drift!)).toBe(0);
    const [cron] = validateModelsFile({ models: { m: { ...base, drift: { cron: '0 * * * *' } } } });
    expect(sensorJitterMs(cron!.drift!)).toBe(0);
    const [declared] = validateModelsFile({ models: { m: { ...base, drift: { every: '1h', jitter: '90s' } } } });
    expect(sensorJitterMs(declared!.drift!)).toBe(90_000);
    expect(() => validateModelsFile({ models: { m: { ...base, drift: { every: '10m', jitter: '10m' } } } })).toThrow(
      /models\.m\.drift\.jitter.*shorter than `every`/,
    );
    const options = sensorScheduleOptions(declared!, 'q');
    expect(options?.spec.jitter).toBe(90_000);
  });

  it('TRAINING_TASK_QUEUE must not be the main task queue; TRAINING_SLOTS is bounded', () => {
    expect(loadConfig({}).training).toMatchObject({ taskQueue: 'mlops-training', slots: 2 });
    expect(() => loadConfig({ TRAINING_TASK_QUEUE: 'mlops' })).toThrow(/TRAINING_TASK_QUEUE/);
    expect(() => loadConfig({ TEMPORAL_TASK_QUEUE: 'x', TRAINING_TASK_QUEUE: 'x' })).toThrow(/TRAINING_TASK_QUEUE/);
    expect(loadConfig({ TRAINING_SLOTS: '0' }).training.slots).toBe(0);
    expect(() => loadConfig({ TRAINING_SLOTS: '65' })).toThrow(/TRAINING_SLOTS/);
  });
});
