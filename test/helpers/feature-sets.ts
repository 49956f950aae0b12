/**
 * Feature sets a stack test writes, removed in its afterAll (the deletions are in
 * test/helpers/feature-store-cleanup.ts). vitest runs a file's afterAll hooks in reverse order of
 * registration: register these after the hooks that close their pool (useStackSuite, or a test's own
 * afterAll ending its pool) so the pool is still open.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { generateChurnSet, type GeneratedSet } from '../stack/train.dataset';
import { deleteFeatureSets, type FeatureSetRemoval } from './feature-store-cleanup';

/** Deletes `names` after all tests; nothing when the pool was never opened (its beforeAll failed). */
export function useFeatureSet(
  pool: () => Pool | undefined,
  names: string | readonly string[],
  removal: FeatureSetRemoval = {},
): void {
  afterAll(async () => {
    const p = pool();
    if (p) await deleteFeatureSets(p, names, removal);
  });
}

/** A generated churn set (generateChurnSet) named `featureSet`: written in beforeAll, deleted in afterAll. Its fields other than the name are there once beforeAll ran. */
export function useChurnSet(pool: () => Pool, featureSet: string, rows: number): GeneratedSet {
  let set: GeneratedSet | undefined;
  beforeAll(async () => {
    set = await generateChurnSet(pool(), featureSet, rows);
  });
  afterAll(async () => {
    if (set) await deleteFeatureSets(pool(), featureSet);
  });
  const ready = (): GeneratedSet => {
    if (!set) throw new Error(`the churn set ${featureSet} is used before its beforeAll ran`);
    return set;
  };
  return {
    featureSet,
    get window() {
      return ready().window;
    },
    get rows() {
      return ready().rows;
    },
    get target() {
      return ready().target;
    },
    get features() {
      return ready().features;
    },
  };
}
