/**
 * MOJOs written by hand, no H2O needed: a gaussian GLM y = slope * x + intercept (what the scorer
 * serves), and the allocation bomb today's tree reader dies on (model.ini's n_trees = 50,000,000 and
 * no trees: loading it builds a list of fifty million absent trees).
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

export function treeBombMojo(trees = 50_000_000): Buffer {
  const ini = [
    '[info]',
    'algo = gbm',
    'mojo_version = 1.40',
    'category = Regression',
    'supervised = true',
    'n_features = 1',
    'n_classes = 1',
    `n_trees = ${trees}`,
    'n_trees_per_class = 1',
    'distribution = gaussian',
    'n_columns = 2',
    '[columns]',
    'x',
    'y',
    '[domains]',
    '',
  ].join('\n');
  return writeZip(new Map([['model.ini', Buffer.from(ini)]]));
}
