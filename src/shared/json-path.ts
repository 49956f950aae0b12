/**
 * Paths into a JSON document, in one of two spellings:
 * - dotted: `profile.age`, `result.items`, `data.0.id` (keys of letters, digits, `_`, `$`, `-`);
 * - a JSON Pointer (RFC 6901), starting with `/`: `/@odata.nextLink`, `/_links/next/href`,
 *   `/metrics.v2/score` — any key, with `~1` for `/` and `~0` for `~`.
 * `''` is the document itself in both. Workflow-safe (no Node imports).
 */
import { matching } from './validation';

export const DOTTED_PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
/** A JSON Pointer: `/`-separated tokens where `~` only appears as `~0` or `~1`. */
export const JSON_POINTER = /^(\/([^~/]|~[01])*)+$/;

const JSON_PATH = /^(?:[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*|(?:\/(?:[^~/]|~[01])*)+)$/;
export const jsonPath = matching(
  JSON_PATH,
  "a dotted path such as 'id' or 'profile.age', or a JSON Pointer such as '/@odata.nextLink'",
);

/** The keys a path walks through, in order ([] for ''). */
export function pathKeys(path: string): string[] {
  if (path === '') return [];
  if (path.startsWith('/'))
    return path
      .slice(1)
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return path.split('.');
}

/** Reads a path (dotted or JSON Pointer) from parsed JSON; undefined when any step is missing. */
export function readPath(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function getPath(value: unknown, path: string): unknown {
  return readPath(value, pathKeys(path));
}
