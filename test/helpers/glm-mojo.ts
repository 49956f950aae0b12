/**
 * A small binomial GLM MOJO written by hand (model.ini and two domains, stored in a zip), for the
 * platform's own loader: `plan` (basic, pro) and a numeric feature (`x`, or `numeric`) predict `churn`
 * (no, yes) as logit(0.5·[plan=pro] + xBeta·x − 0.25). With `meanImputation`, a missing x scores as 0.5.
 */
import { writeZip } from './zip-writer';

export interface GlmMojoOptions {
  meanImputation: boolean;
  /** the numeric feature's name (default `x`) */
  numeric?: string;
  /** its coefficient (default 1; 0 makes an infinite x score NaN) */
  xBeta?: number;
}

export function glmMojoBytes(options: GlmMojoOptions): Buffer {
  const ini = [
    '[info]',
    'h2o_version = 3.46.0.7',
    'mojo_version = 1.00',
    'algo = glm',
    'algorithm = Generalized Linear Modeling',
    'category = Binomial',
    'supervised = true',
    'n_features = 2',
    'n_classes = 2',
    'n_columns = 3',
    'family = binomial',
    'link = logit',
    'use_all_factor_levels = false',
    'cats = 1',
    'nums = 1',
    'cat_offsets = [0, 2]',
    `beta = [0.5, 0.0, ${(options.xBeta ?? 1).toFixed(1)}, -0.25]`,
    `mean_imputation = ${options.meanImputation}`,
    'cat_modes = [0]',
    'num_means = [0.5]',
    '',
    '[columns]',
    'plan',
    options.numeric ?? 'x',
    'churn',
    '',
    '[domains]',
    '0: 2 d000.txt',
    '2: 2 d001.txt',
    '',
  ].join('\n');
  return writeZip(
    new Map([
      ['model.ini', Buffer.from(ini)],
      ['domains/d000.txt', Buffer.from('basic\npro\n')],
      ['domains/d001.txt', Buffer.from('no\nyes\n')],
    ]),
  );
}
