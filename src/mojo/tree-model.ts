/**
 * GBM and DRF: sum the trees per class (SharedTreeMojoModel.scoreTreeRange, in its order, so sums
 * round as H2O's do), then turn the sums into predictions (GbmMojoModel / DrfMojoModel.unifyPreds).
 */
import { MojoError } from '../shared/errors';
import { loadBudget, MAX_TREE_GROUPS, mib } from './budget';
import { defaultGbmLink, gbmInverseLink } from './link';
import type { MojoHeader } from './header';
import type { ModelIni } from './model-ini';
import { correctProbabilities, predictionIndex } from './prediction';
import { decodeForest, scoreTree, type TreeEntry, type TreeForest } from './trees';
import type { ZipEntries } from './zip';

const BINOMIAL_DISTRIBUTIONS = new Set(['bernoulli', 'quasibinomial', 'modified_huber']);
/** GBM distributions whose predictions are the inverse link of the tree sum */
const REGRESSION_DISTRIBUTIONS = new Set(['gaussian', 'poisson', 'gamma', 'tweedie', 'laplace', 'quantile', 'huber']);

export type Unify = (row: Float64Array, preds: Float64Array) => void;

export interface TreeScorer {
  family: string | undefined;
  score0(row: Float64Array, preds: Float64Array): Float64Array;
}

export function treeScorer(h: MojoHeader, ini: ModelIni, zip: ZipEntries): TreeScorer {
  const groups = ini.int('n_trees');
  const perClass = ini.has('n_trees_per_class')
    ? ini.int('n_trees_per_class')
    : h.nClasses === 2 && !ini.bool('binomial_double_trees', false)
      ? 1
      : h.nClasses;
  if (groups < 0 || groups > MAX_TREE_GROUPS)
    throw new MojoError(
      h.mojo,
      'n_trees',
      `${groups} is not a count of trees (0 to ${MAX_TREE_GROUPS}, as H2O trains)`,
    );
  if (perClass < 1 || perClass > Math.max(1, h.nClasses)) {
    throw new MojoError(
      h.mojo,
      'n_trees_per_class',
      `${perClass} trees per class for ${h.nClasses} classes is inconsistent`,
    );
  }
  // H2O skips a tree it did not build, so a tree may be absent; a tree entry outside the model's
  // range means a renamed (damaged) entry, and an absent tree would then silently score as 0.
  for (const name of zip.names()) {
    if (!name.startsWith('trees/')) continue;
    const m = /^trees\/t(\d{2})_(\d{3,})(_aux)?\.bin$/.exec(name);
    if (!m || Number(m[1]) >= perClass || Number(m[2]) >= groups) {
      throw new MojoError(
        h.mojo,
        name,
        `is not a tree of this model (${perClass} per class, ${groups} groups): the file is damaged`,
      );
    }
  }
  // Each tree, present or not, gets a root and a leaf: bounded before anything is sized by the count.
  const budget = loadBudget();
  if (groups * perClass > budget.trees)
    throw new MojoError(
      h.mojo,
      'n_trees',
      `${groups} groups of ${perClass} trees is ${groups * perClass} trees, more than a load may hold in a ${mib(budget.heapBytes)} heap (${budget.trees})`,
    );
  const trees: TreeEntry[] = [];
  // Index class * groups + group, as SharedTreeMojoModel.treeIndex.
  for (let c = 0; c < perClass; c++) {
    for (let g = 0; g < groups; g++) {
      const name = `trees/t${String(c).padStart(2, '0')}_${String(g).padStart(3, '0')}.bin`;
      trees.push({ name, bytes: zip.has(name) ? zip.read(name) : null });
    }
  }
  const domainLength = Int32Array.from(h.domains.map((d) => d?.length ?? 0));
  const forest = decodeForest(trees, domainLength, h.features.length, h.mojo);
  const offset = h.nClasses === 1 ? 0 : 1;

  const sumTrees = (row: Float64Array, preds: Float64Array): void => {
    preds.fill(0);
    for (let c = 0; c < perClass; c++) {
      let sum = 0;
      const first = c * groups;
      for (let t = first; t < first + groups; t++) sum += scoreTree(forest, t, row);
      preds[offset + c] = sum;
    }
  };
  const finish = classify(h);
  const { family, unify } = h.algorithm === 'gbm' ? gbmUnify(h, ini, finish) : drfUnify(h, ini, groups, finish);
  return {
    family,
    score0(row, preds) {
      sumTrees(row, preds);
      unify(row, preds);
      return preds;
    },
  };
}

export type { TreeForest };

/** balance_classes correction then the label, for classifiers (both algorithms end this way). */
function classify(h: MojoHeader): Unify {
  return (row, preds) => {
    if (h.balanceClasses) correctProbabilities(preds, h.priorClassDistribution!, h.modelClassDistribution!);
    preds[0] = predictionIndex(preds, h.priorClassDistribution, row, h.defaultThreshold);
  };
}

function gbmUnify(h: MojoHeader, ini: ModelIni, finish: Unify): { family: string; unify: Unify } {
  const distribution = ini.text('distribution');
  const initF = ini.number('init_f');
  const linkName = ini.optionalText('link_function') ?? defaultGbmLink(distribution);
  const link = gbmInverseLink(linkName);
  if (!link)
    throw new MojoError(
      h.mojo,
      'link_function',
      `${JSON.stringify(linkName)} is not supported (identity, log, logit, inverse)`,
    );
  if (BINOMIAL_DISTRIBUTIONS.has(distribution)) {
    if (h.nClasses !== 2) throw new MojoError(h.mojo, 'distribution', `${distribution} with ${h.nClasses} classes`);
    return {
      family: distribution,
      unify: (row, preds) => {
        // The trees score class 0's sum into preds[1]; the link gives class 1's probability.
        preds[2] = link(preds[1]! + initF);
        preds[1] = 1.0 - preds[2];
        finish(row, preds);
      },
    };
  }
  if (distribution === 'multinomial') {
    return {
      family: distribution,
      unify: (row, preds) => {
        if (h.nClasses === 2) {
          preds[1] = preds[1]! + initF;
          preds[2] = -preds[1];
        }
        // GenModel.GBM_rescale: softmax after subtracting the max.
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 1; k < preds.length; k++) max = Math.max(max, preds[k]!);
        let sum = 0;
        for (let k = 1; k < preds.length; k++) sum += preds[k] = Math.exp(preds[k]! - max);
        for (let k = 1; k < preds.length; k++) preds[k] = preds[k]! / sum;
        finish(row, preds);
      },
    };
  }
  if (REGRESSION_DISTRIBUTIONS.has(distribution) && h.nClasses === 1) {
    return { family: distribution, unify: (_row, preds) => void (preds[0] = link(preds[0]! + initF)) };
  }
  throw new MojoError(
    h.mojo,
    'distribution',
    `GBM ${JSON.stringify(distribution)} (${h.category}) is not supported (bernoulli, quasibinomial, modified_huber, multinomial, ${[...REGRESSION_DISTRIBUTIONS].join(', ')})`,
  );
}

function drfUnify(h: MojoHeader, ini: ModelIni, groups: number, finish: Unify): { family: undefined; unify: Unify } {
  const doubleTrees = ini.bool('binomial_double_trees', false);
  if (h.nClasses === 1) return { family: undefined, unify: (_row, preds) => void (preds[0] = preds[0]! / groups) };
  if (h.nClasses === 2 && !doubleTrees) {
    return {
      family: undefined,
      unify: (row, preds) => {
        preds[1] = preds[1]! / groups;
        preds[2] = 1.0 - preds[1];
        finish(row, preds);
      },
    };
  }
  return {
    family: undefined,
    unify: (row, preds) => {
      let sum = 0;
      for (let i = 1; i <= h.nClasses; i++) sum += preds[i]!;
      if (sum > 0) for (let i = 1; i <= h.nClasses; i++) preds[i] = preds[i]! / sum;
      finish(row, preds);
    },
  };
}
