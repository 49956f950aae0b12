/**
 * What one MOJO load may cost, relative to the heap of the thread loading it (a worker started with
 * resourceLimits reports its own limit), so a file that declares more than the heap can hold is refused
 * with a MojoError before anything sized by the declaration is allocated, instead of taking the process
 * down with an out-of-memory abort, which nothing can catch. docs/SECURITY.md, MOJO files.
 */
import { getHeapStatistics } from 'node:v8';

/** h2o-3's own bound on ntrees (SharedTree.MAX_NTREES): no MOJO H2O writes declares more groups. */
export const MAX_TREE_GROUPS = 100_000;
/** a tree declared but absent still costs a root and a leaf; this bounds their total per heap byte */
const HEAP_BYTES_PER_TREE = 1024;
/**
 * Inflated entries, all together. Decoding trees takes at most about 10 heap bytes per byte of tree (a
 * 5-byte node becomes a 16-byte slot, in arrays that grow by doubling, then copied to their size), so
 * 1/32 of the heap keeps the worst case of a load under a third of it.
 */
const HEAP_FRACTION_INFLATED = 32;
const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export interface LoadBudget {
  /** the heap limit the budget was derived from (v8's heap_size_limit) */
  heapBytes: number;
  /** all entries' declared sizes, summed: the most a load inflates */
  inflatedBytes: number;
  /** trees declared (n_trees × n_trees_per_class), present or not */
  trees: number;
}

export function loadBudget(): LoadBudget {
  const heapBytes = getHeapStatistics().heap_size_limit;
  return {
    heapBytes,
    inflatedBytes: Math.min(MAX_INFLATED_BYTES, Math.floor(heapBytes / HEAP_FRACTION_INFLATED)),
    trees: Math.floor(heapBytes / HEAP_BYTES_PER_TREE),
  };
}

/** "19.0 MiB", for refusals that quote a budget */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
