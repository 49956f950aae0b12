/**
 * GLM: the linear predictor over de-standardised coefficients, then the family's inverse link
 * (GlmMojoModel.glmScore0) or the softmax (GlmMultinomialMojoModel). The MOJO's columns are the
 * categorical predictors first, then the numeric ones (DataInfo order). Sums run in H2O's order.
 */
import { MojoError, ValidationError } from '../shared/errors';
import type { MojoHeader } from './header';
import { glmInverseLink } from './link';
import type { ModelIni } from './model-ini';

const BINOMIAL_FAMILIES = new Set(['binomial', 'quasibinomial', 'fractionalbinomial']);
const FAMILIES = new Set([
  ...BINOMIAL_FAMILIES,
  'gaussian',
  'poisson',
  'gamma',
  'tweedie',
  'negativebinomial',
  'multinomial',
]);

export interface GlmScorer {
  family: string;
  score0(row: Float64Array, preds: Float64Array): Float64Array;
}

export function glmScorer(h: MojoHeader, ini: ModelIni): GlmScorer {
  const refuse = (setting: string, reason: string): never => {
    throw new MojoError(h.mojo, setting, reason);
  };
  const family = ini.text('family');
  if (!FAMILIES.has(family))
    refuse('family', `GLM ${JSON.stringify(family)} is not supported (${[...FAMILIES].join(', ')})`);
  const useAll = ini.bool('use_all_factor_levels', false);
  const cats = ini.int('cats');
  const nums = ini.int('nums');
  const catOffsets = ini.numbers('cat_offsets') ?? [];
  const beta = ini.numbers('beta') ?? refuse('beta', 'is missing');
  const meanImputation = ini.bool('mean_imputation', false);
  const catModes = ini.numbers('cat_modes') ?? [];
  const numMeans = ini.numbers('num_means') ?? [];
  if (cats < 0 || nums < 0 || cats + nums !== h.features.length)
    refuse('cats', `${cats} categorical + ${nums} numeric predictors for ${h.features.length} features`);
  if (catOffsets.length !== cats + 1)
    refuse('cat_offsets', `${catOffsets.length} offsets for ${cats} categorical predictors`);
  if (meanImputation && (catModes.length !== cats || numMeans.length !== nums))
    refuse('mean_imputation', 'set without a mode per categorical and a mean per numeric predictor');
  for (let i = 0; i < cats; i++)
    if (!h.domains[i])
      refuse(
        '[columns]',
        `predictor ${JSON.stringify(h.features[i])} should be categorical (GLM lists categoricals first)`,
      );

  const unimputable = (i: number): never => {
    throw new ValidationError(
      h.features[i]!,
      null,
      'is missing, and this GLM was trained without mean imputation (missing_values_handling=MeanImputation) so it cannot score it',
    );
  };
  const impute = (row: Float64Array, x: Float64Array): Float64Array => {
    x.set(row);
    if (meanImputation) {
      for (let i = 0; i < cats; i++) if (Number.isNaN(x[i])) x[i] = catModes[i]!;
      for (let i = 0; i < nums; i++) if (Number.isNaN(x[i + cats])) x[i + cats] = numMeans[i]!;
    } else for (let i = cats; i < cats + nums; i++) if (Number.isNaN(x[i])) unimputable(i);
    return x;
  };
  const level = (x: Float64Array, i: number): number => {
    const d = x[i]!;
    const ival = Math.trunc(d) - (useAll ? 0 : 1);
    // As GlmMojoModel: a missing level the MOJO cannot impute is an error, never a silent zero (a
    // missing number is refused in impute, where GlmMojoModel would answer NaN).
    if (ival !== d - (useAll ? 0 : 1)) unimputable(i);
    return ival;
  };
  const scratch = new Float64Array(h.features.length);

  if (family === 'multinomial') {
    const nClasses = h.nClasses;
    const P = beta.length / nClasses;
    if (!Number.isInteger(P)) refuse('beta', `${beta.length} coefficients do not split into ${nClasses} classes`);
    const noff = catOffsets[cats]!;
    if (noff + nums + 1 !== P)
      refuse('beta', `${P} coefficients per class for ${noff} level and ${nums} numeric terms`);
    return {
      family,
      score0(row, preds) {
        const x = impute(row, scratch);
        preds[0] = 0;
        for (let c = 0; c < nClasses; c++) {
          let eta = 0;
          for (let i = 0; i < cats; i++) {
            if (!useAll && x[i] === 0) continue;
            const ival = level(x, i) + catOffsets[i]!;
            if (ival < catOffsets[i + 1]!) eta += beta[ival + c * P]!;
          }
          for (let i = 0; i < nums; i++) eta += beta[noff + i + c * P]! * x[i + cats]!;
          preds[c + 1] = eta + beta[P - 1 + c * P]!;
        }
        // GlmMultinomialMojoModel starts the max at 0 and multiplies by the reciprocal sum: kept exactly.
        let maxRow = 0;
        for (let c = 1; c < preds.length; c++) if (preds[c]! > maxRow) maxRow = preds[c]!;
        let sumExp = 0;
        for (let c = 1; c < preds.length; c++) sumExp += preds[c] = Math.exp(preds[c]! - maxRow);
        sumExp = 1 / sumExp;
        let maxP = 0;
        for (let c = 1; c < preds.length; c++) {
          if ((preds[c] = preds[c]! * sumExp) > maxP) {
            maxP = preds[c]!;
            preds[0] = c - 1;
          }
        }
        return preds;
      },
    };
  }

  const linkName = ini.text('link');
  const link = glmInverseLink(linkName, ini.has('tweedie_link_power') ? ini.number('tweedie_link_power') : 0);
  if (!link) refuse('link', `${JSON.stringify(linkName)} is not supported (identity, logit, log, inverse, tweedie)`);
  const binomial = BINOMIAL_FAMILIES.has(family);
  if (binomial !== (h.nClasses === 2)) refuse('family', `${family} with ${h.nClasses} classes`);
  const noff = catOffsets[cats]! - cats;
  if (beta.length - 1 - noff - cats !== nums)
    refuse('beta', `${beta.length} coefficients for ${catOffsets[cats]} level and ${nums} numeric terms`);
  return {
    family,
    score0(row, preds) {
      const x = impute(row, scratch);
      let eta = 0.0;
      for (let i = 0; i < cats; i++) {
        if (!useAll && x[i] === 0) continue;
        const ival = level(x, i) + catOffsets[i]!;
        if (ival < catOffsets[i + 1]!) eta += beta[ival]!;
      }
      for (let i = cats; i < beta.length - 1 - noff; i++) eta += beta[noff + i]! * x[i]!;
      eta += beta[beta.length - 1]!;
      const mu = link!(eta);
      if (binomial) {
        preds[0] = mu >= h.defaultThreshold ? 1 : 0;
        preds[1] = 1.0 - mu;
        preds[2] = mu;
      } else preds[0] = mu;
      return preds;
    },
  };
}
