/**
 * The validation kit: every untrusted document (a source definition, models.yaml, a workflow input)
 * is a zod schema built from these pieces and checked by `parse`, which throws the project's
 * ValidationError naming the field path and the value: `definition.pagination.style="token" is
 * invalid: one of 'cursor', 'page', 'offset', 'link'`.
 *
 * Why zod 4: it runs inside Temporal's workflow sandbox (no Node APIs, no clocks, no randomness), so a
 * workflow validates its input with the same schema an activity and the CLI use, and it emits the JSON
 * Schemas that editors use to complete and check sources/*.json and models.yaml (schemas/).
 *
 * Every builder sets its own message (what a valid value is), so zod's generic texts never reach a user.
 */
import { z } from 'zod';
import { ValidationError } from './errors';

/** Checks `raw` against `schema`; the first problem becomes a ValidationError whose field starts with `where`. */
export function parse<S extends z.ZodType>(schema: S, raw: unknown, where = ''): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw validationError(result.error.issues[0]!, raw, where);
}

/** One zod issue as the ValidationError of its field: the path is rendered `a.b[0].c`, the value read from the input. */
function validationError(issue: z.core.$ZodIssue, raw: unknown, where: string): ValidationError {
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return new ValidationError(fieldName(where, [...path, key]), valueAt(raw, [...path, key]), issue.message);
  }
  if (issue.code === 'invalid_key') {
    // a record key that breaks its rule (a model name in models.yaml): the field is the record, the value the key
    const key = path.pop();
    const inner = issue.issues[0];
    return new ValidationError(fieldName(where, path), key, inner?.message ?? issue.message);
  }
  const params = issue.code === 'custom' ? (issue.params as { value?: unknown } | undefined) : undefined;
  const value = params && 'value' in params ? params.value : valueAt(raw, path);
  return new ValidationError(fieldName(where, path), value, issue.message);
}

/** `where` + path as people write it: `definition.headers.Authorization`, `specs[0].name`. */
export function fieldName(where: string, path: ReadonlyArray<PropertyKey>): string {
  let name = where;
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name += name === '' ? String(part) : `.${String(part)}`;
  }
  return name === '' ? 'input' : name;
}

function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = raw;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

// --- builders: each one knows the words for a valid value --------------------------------------------

/** An object that names its unknown keys: they are typos more often than not (`pagesize` for `pageSize`). */
export function strict<Shape extends z.core.$ZodLooseShape>(shape: Shape, expected = 'an object') {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `not a known field (known: ${known})` : expected),
  });
}

/** A string with something in it besides spaces. */
export function text(expected = 'a non-empty string') {
  return z.string({ error: expected }).regex(/\S/, { error: expected });
}

/** A string matching `pattern`, e.g. a name. */
export function matching(pattern: RegExp, expected: string) {
  return z.string({ error: expected }).regex(pattern, { error: expected });
}

/** `url` parsed, or undefined after an issue saying an absolute URL was expected (for a superRefine). */
export function parseAbsoluteUrl(url: string, ctx: z.core.$RefinementCtx<string>): URL | undefined {
  try {
    return new URL(url);
  } catch {
    ctx.addIssue({ code: 'custom', params: { value: url }, message: 'an absolute http:// or https:// URL' });
    return undefined;
  }
}

/**
 * Refuses a URL with user:password@ (it would be stored and echoed with the URL), its value redacted
 * in the issue so the error does not repeat the secret; `instead` follows the message, saying where
 * credentials go. Returns whether it refused.
 */
export function refuseUrlCredentials(parsed: URL, ctx: z.core.$RefinementCtx<string>, instead: string): boolean {
  if (!parsed.username && !parsed.password) return false;
  ctx.addIssue({ code: 'custom', params: { value: '<redacted>' }, message: `a URL without user:password@${instead}` });
  return true;
}

/** An integer in [min, max]. */
export function integer(min: number, max: number) {
  const expected = `an integer from ${min} to ${max}`;
  return z
    .number({ error: expected })
    .int({ error: expected })
    .min(min, { error: expected })
    .max(max, { error: expected });
}

/** A finite number in [min, max]. */
export function number(min: number, max: number) {
  const expected = `a number from ${min} to ${max}`;
  return z.number({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

/** A number strictly between min and max. */
export function between(min: number, max: number) {
  const expected = `a number between ${min} and ${max} (exclusive)`;
  return z.number({ error: expected }).gt(min, { error: expected }).lt(max, { error: expected });
}

export function flag() {
  return z.boolean({ error: 'true or false' });
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.map((v) => `'${v}'`).join(', ')}` });
}

/** A non-empty list of items whose `key` is unique. */
export function uniqueList<Item extends z.ZodType>(
  item: Item,
  expected: string,
  key: (value: z.output<Item>) => unknown,
  duplicate: string,
  keyPath: PropertyKey[] = [],
) {
  return z
    .array(item, { error: expected })
    .min(1, { error: expected })
    .superRefine((items, ctx) => {
      const seen = new Set<unknown>();
      items.forEach((value, i) => {
        const k = key(value);
        if (seen.has(k))
          ctx.addIssue({ code: 'custom', path: [i, ...keyPath], message: duplicate, params: { value: k } });
        seen.add(k);
      });
    });
}
