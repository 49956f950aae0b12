/**
 * Secrets of a source: `{ env: 'NAME' }` references in headers and query parameters, resolved from
 * the worker's environment inside the activity. Only variables the operator meant for sources may be
 * read: names starting with SOURCE_SECRET_, or listed in INGEST_SECRET_ENV_ALLOW. Anything else
 * (DATABASE_URL, AWS_SECRET_ACCESS_KEY, …) fails validation naming the variable, before any request.
 */
import { readSecretEnv } from '../config';
import { ConfigError, ValidationError } from '../shared/errors';
import type { HeaderValue, ResolvedSource } from '../shared/source-definition';

export const SECRET_ENV_PREFIX = 'SOURCE_SECRET_';

/** Header values and query parameters with every secret filled in. Never logged, never returned. */
export interface ResolvedSecrets {
  headers: Record<string, string>;
  /** query parameters that are secrets: added to each request's URL at the last moment */
  query: Array<[name: string, value: string]>;
}

function references(source: ResolvedSource): Array<{ field: string; name: string; value: HeaderValue }> {
  const out: Array<{ field: string; name: string; value: HeaderValue }> = [];
  for (const [name, value] of Object.entries(source.headers)) out.push({ field: `headers.${name}`, name, value });
  for (const [name, value] of Object.entries(source.queryParams ?? {}))
    out.push({ field: `queryParams.${name}`, name, value });
  return out;
}

/** Throws a ValidationError naming the first secret reference to a variable sources may not read. */
export function checkSecretReferences(source: ResolvedSource, allow: readonly string[], where = source.name): void {
  for (const { field, value } of references(source)) {
    if (typeof value === 'string') continue;
    if (value.env.startsWith(SECRET_ENV_PREFIX) || allow.includes(value.env)) continue;
    throw new ValidationError(
      `${where}.${field}.env`,
      value.env,
      `a variable named ${SECRET_ENV_PREFIX}… or listed in INGEST_SECRET_ENV_ALLOW (the worker's other variables are not for sources)`,
    );
  }
}

/** Resolves every reference; an unset variable is a non-retryable ConfigError naming it. */
export function resolveSecrets(
  source: ResolvedSource,
  allow: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSecrets {
  checkSecretReferences(source, allow);
  const resolved: ResolvedSecrets = { headers: {}, query: [] };
  for (const { field, name, value } of references(source)) {
    let text: string;
    if (typeof value === 'string') text = value;
    else {
      const secret = readSecretEnv(value.env, env);
      if (secret === undefined)
        throw new ConfigError(
          `${source.name}.${field}.env`,
          value.env,
          'an environment variable that is set on the worker',
        );
      text = `${value.prefix ?? ''}${secret}`;
    }
    if (field.startsWith('headers.')) resolved.headers[name] = text;
    else if (typeof value !== 'string') resolved.query.push([name, text]);
  }
  return resolved;
}

/** Names of the secret query parameters: stripped from next URLs a source hands out, so they never reach a checkpoint. */
export function secretParamNames(source: ResolvedSource): string[] {
  return Object.entries(source.queryParams ?? {})
    .filter(([, v]) => typeof v !== 'string')
    .map(([n]) => n);
}

/** `url` with the secret query parameters set (for the request only; never stored or shown). */
export function withSecretParams(url: string, query: ResolvedSecrets['query']): string {
  if (query.length === 0) return url;
  const u = new URL(url);
  for (const [name, value] of query) u.searchParams.set(name, value);
  return u.href;
}

/** `url` without the named parameters. */
export function withoutParams(url: string, names: readonly string[]): string {
  if (names.length === 0) return url;
  const u = new URL(url);
  let changed = false;
  for (const name of names) {
    if (u.searchParams.has(name)) {
      u.searchParams.delete(name);
      changed = true;
    }
  }
  return changed ? u.href : url;
}
