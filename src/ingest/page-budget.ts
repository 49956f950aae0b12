/**
 * The heap a source page may take once parsed. JSON.parse builds the whole value at once, and parsed
 * JSON takes up to ~20× its bytes on V8's heap (measured: `[[1],[2],…]` 16×, `[{},{},…]` 21×; records
 * of a few named fields 1–3×). A page whose parse could exhaust the heap would crash the worker and be
 * fetched again on every retry, so it is refused before JSON.parse and becomes a whole-page dead letter.
 *
 * Why a check and not a streaming parser: the activity needs the page's records as values either way
 * (mapping, de-duplication, COPY), so a streaming parse would hold the same heap in the end; what
 * keeps the worker alive is the bound, which a size check gives before any allocation.
 */
import { getHeapStatistics } from 'node:v8';

/**
 * Why a body of `bytes` must not be parsed, or undefined when it fits: its parse (bytes × `expansion`,
 * INGEST_JSON_EXPANSION; the page cap INGEST_MAX_PAGE_BYTES defaults to 1/40 of the heap to match)
 * may take at most half of the heap not in use now (the other half stays for the rest of the worker,
 * the page being written meanwhile included).
 */
export function overHeapBudget(
  bytes: number,
  expansion: number,
  heap: { heap_size_limit: number; used_heap_size: number } = getHeapStatistics(),
): string | undefined {
  const budget = Math.floor((heap.heap_size_limit - heap.used_heap_size) / 2);
  const needs = bytes * expansion;
  if (needs <= budget) return undefined;
  return `answered a body of ${bytes} bytes, whose parse (×${expansion}, INGEST_JSON_EXPANSION) needs ${needs} bytes of heap, over the ${budget} this worker can spare (half its free heap; limit ${heap.heap_size_limit}): request fewer records per page, lower maxPageBytes or give the worker a larger heap`;
}
