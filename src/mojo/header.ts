/**
 * What every MOJO declares in model.ini (ModelMojoReader.readAll), and the one place that decides
 * whether the scorer can serve it: each refusal names the setting and its value.
 */
import { MojoError } from '../shared/errors';
import type { ModelIni } from './model-ini';
import { parseDomain } from './model-ini';
import type { MojoAlgorithm, MojoCategory } from './types';
import type { ZipEntries } from './zip';

/** The newest mojo_version each reader of h2o-genmodel 3.46 writes and this scorer reads. */
export const MOJO_VERSIONS: Record<MojoAlgorithm, { min: number; max: number }> = {
  // 1.00 and 1.10 encode large bitsets and out-of-range levels differently (ScoreTree0/1): not read.
  gbm: { min: 1.2, max: 1.4 },
  drf: { min: 1.2, max: 1.4 },
  glm: { min: 1.0, max: 1.0 },
};
const CATEGORIES: readonly MojoCategory[] = ['Binomial', 'Multinomial', 'Regression'];
/** categorical encodings under which the trees see levels as indices, as the scorer feeds them */
const ENCODINGS = ['AUTO', 'Enum'];

export interface MojoHeader {
  mojo: string;
  algorithm: MojoAlgorithm;
  category: MojoCategory;
  mojoVersion: string;
  h2oVersion: string;
  nClasses: number;
  features: string[];
  domains: (string[] | null)[];
  response: string;
  classes: string[] | null;
  balanceClasses: boolean;
  priorClassDistribution: number[] | undefined;
  modelClassDistribution: number[] | undefined;
  defaultThreshold: number;
}

export function readHeader(ini: ModelIni, zip: ZipEntries, mojo: string): MojoHeader {
  const refuse = (setting: string, reason: string): never => {
    throw new MojoError(mojo, setting, reason);
  };
  const algo = ini.text('algo');
  if (!(algo in MOJO_VERSIONS))
    refuse(
      'algo',
      `${JSON.stringify(algo)} (${ini.optionalText('algorithm') ?? 'unknown'}) is not supported: the scorer serves gbm, drf and glm`,
    );
  const algorithm = algo as MojoAlgorithm;
  const version = ini.text('mojo_version');
  const v = Number(version);
  const { min, max } = MOJO_VERSIONS[algorithm];
  if (!(v >= min))
    refuse(
      'mojo_version',
      `${version} of ${algo} is older than the scorer reads (${min.toFixed(2)} to ${max.toFixed(2)})`,
    );
  if (v > max)
    refuse(
      'mojo_version',
      `${version} of ${algo} is newer than the scorer reads (at most ${max.toFixed(2)}, as h2o-genmodel 3.46)`,
    );
  const category = ini.text('category') as MojoCategory;
  if (!CATEGORIES.includes(category))
    refuse('category', `${JSON.stringify(category)} is not supported (${CATEGORIES.join(', ')})`);
  if (!ini.bool('supervised', false)) refuse('supervised', 'the model has no response column');
  const encoding = ini.optionalText('_genmodel_encoding') ?? 'AUTO';
  if (!ENCODINGS.includes(encoding))
    refuse(
      '_genmodel_encoding',
      `${JSON.stringify(encoding)} (categorical_encoding) is not supported: train with AUTO or Enum`,
    );
  for (const key of ['offset_column', 'treatment_column', 'calib_method']) {
    if (ini.has(key))
      refuse(key, `${JSON.stringify(ini.text(key))}: models with ${key.replace('_', ' ')} are not supported`);
  }
  if (ini.has('interactions') || ini.has('interaction_pairs'))
    refuse('interactions', 'GLM interactions are not supported');

  const nFeatures = ini.int('n_features');
  const nClasses = ini.int('n_classes');
  const columns = ini.columns;
  if (nFeatures < 1 || nFeatures >= columns.length) refuse('n_features', `${nFeatures} with ${columns.length} columns`);
  const escaped = ini.bool('escape_domain_values', false);
  const domains: (string[] | null)[] = columns.map(() => null);
  for (const [index, { levels, file }] of ini.domainFiles) {
    if (index >= columns.length) continue;
    const entry = `domains/${file}`;
    // a level is a line: a file of n bytes holds at most n + 1 of them, whatever model.ini declares
    const bytes = zip.declaredSize(entry);
    if (levels > bytes + 1) refuse(entry, `model.ini declares ${levels} levels, the file holds ${bytes} bytes`);
    const values = parseDomain(zip.read(entry).toString('utf8'), escaped);
    if (values.length !== levels) refuse(entry, `has ${values.length} levels, model.ini says ${levels}`);
    domains[index] = values;
  }
  const response = columns[columns.length - 1]!;
  const classes =
    category === 'Regression' ? null : (domains[columns.length - 1] ?? (nClasses === 2 ? ['0', '1'] : null));
  if (category !== 'Regression' && (!classes || classes.length !== nClasses))
    refuse('n_classes', `${nClasses} does not match the response's ${classes?.length ?? 0} levels`);
  if (category === 'Regression' && nClasses !== 1) refuse('n_classes', `${nClasses} for a regression`);
  if (category === 'Binomial' && nClasses !== 2) refuse('n_classes', `${nClasses} for a binomial model`);
  const prior = ini.numbers('prior_class_distrib');
  const modelDist = ini.numbers('model_class_distrib');
  const balanceClasses = ini.bool('balance_classes', false);
  if (balanceClasses && (prior?.length !== nClasses || modelDist?.length !== nClasses))
    refuse('balance_classes', 'set without both class distributions');
  return {
    mojo,
    algorithm,
    category,
    mojoVersion: version,
    h2oVersion: ini.optionalText('h2o_version') ?? 'unknown',
    nClasses,
    features: columns.slice(0, nFeatures),
    domains: domains.slice(0, nFeatures),
    response,
    classes,
    balanceClasses,
    priorClassDistribution: prior,
    modelClassDistribution: modelDist,
    defaultThreshold: ini.has('default_threshold') ? ini.number('default_threshold') : 0.5,
  };
}
