/**
 * MOJOs written by hand, no H2O needed: a gaussian GLM y = slope * x + intercept (what the scorer
 * serves), and golden rows whose JSON parses to some twenty times its size. (The n_trees bomb the tree
 * reader died on is in test/unit/mojo.hostile.test.ts.)
 */
import { writeZip } from './zip-writer';

export function glmMojo(slope: number, intercept: number, features = ['x']): Buffer {
  const beta = [...features.map((_, i) => (i === 0 ? slope : 0)), intercept];
  const ini = [
    '[info]',
    'algo = glm',
    'algorithm = Generalized Linear Modeling',
    'mojo_version = 1.00',
    'h2o_version = 3.46.0.7',
    'category = Regression',
    'supervised = true',
    `n_features = ${features.length}`,
    'n_classes = 1',
    `n_columns = ${features.length + 1}`,
    'family = gaussian',
    'link = identity',
    'cats = 0',
    `nums = ${features.length}`,
    'cat_offsets = [0]',
    `beta = [${beta.join(', ')}]`,
    'use_all_factor_levels = false',
    'mean_imputation = false',
    '[columns]',
    ...features,
    'y',
    '[domains]',
    '',
  ].join('\n');
  return writeZip(new Map([['model.ini', Buffer.from(ini)]]));
}

/**
 * Golden rows of `rows` empty objects: about 3 bytes of text each, some 30 to 60 bytes of heap once
 * parsed, so the default three million need far more than a 64 MiB load thread has.
 */
export function goldenBomb(rows = 3_000_000): string {
  return `{"h2oModelId":"bomb","rows":[${'{},'.repeat(rows - 1)}{}]}`;
}
