/**
 * Secrets of a source: `{ env: 'NAME' }` references in headers and query parameters, resolved from
 * the worker's environment inside the activity. Only variables the operator meant for sources may be
 * read: names starting with SOURCE_SECRET_, or listed in INGEST_SECRET_ENV_ALLOW. Anything else
 * (DATABASE_URL, AWS_SECRET_ACCESS_KEY, …) fails validation naming the variable, before any request.
 *
 * Each secret is bound to origins the operator chose, checked on every request (`checkSecretOrigins`;
 * redirects are never followed, so every request is one the check saw): the origins INGEST_SECRET_ORIGINS
 * lists for its variable, or, for a variable it does not list, the origins (url and allowedOrigins) of
 * the INGEST_SOURCES_DIR file of the same source that references it, since the operator wrote that
 * file. Anything else, an inline definition's reference above all, sends it nowhere.
 */
import { ApplicationFailure } from '@temporalio/common';
import { readSecretEnv } from '../config';
import { ConfigError, FailureType, ValidationError } from '../shared/errors';
import type { HeaderValue, ResolvedSource } from '../shared/source-definition';
import { sourceOrigins } from './destinations';

export const SECRET_ENV_PREFIX = 'SOURCE_SECRET_';

/** Header values and query parameters with every secret filled in. Never logged, never returned. */
export interface ResolvedSecrets {
  headers: Record<string, string>;
  /** query parameters that are secrets: added to each request's URL at the last moment */
  query: Array<[name: string, value: string]>;
  /** each secret's field and variable, and the origins it may be sent to */
  bindings: SecretBinding[];
}

export interface SecretBinding {
  field: string;
  variable: string;
  origins: ReadonlySet<string>;
  /** how the origins were chosen, for a refusal */
  boundBy: string;
}

/**
 * The origins secret `variable` may go to: INGEST_SECRET_ORIGINS's for it, else those of `onDisk`
 * (the source's INGEST_SOURCES_DIR file) when that file references it, else none.
 */
export function secretBinding(
  variable: string,
  secretOrigins: Readonly<Record<string, readonly string[]>>,
  onDisk: ResolvedSource | undefined,
): Pick<SecretBinding, 'origins' | 'boundBy'> {
  const listed = secretOrigins[variable];
  if (listed)
    return { origins: new Set(listed), boundBy: `INGEST_SECRET_ORIGINS binds ${variable} to ${listed.join(', ')}` };
  if (onDisk && references(onDisk).some((r) => typeof r.value !== 'string' && r.value.env === variable))
    return {
      origins: sourceOrigins(onDisk),
      boundBy: `INGEST_SECRET_ORIGINS does not list ${variable}, so it goes only to the origins of ${onDisk.name}.json (${[...sourceOrigins(onDisk)].join(', ')})`,
    };
  return {
    origins: new Set(),
    boundBy: `INGEST_SECRET_ORIGINS does not list ${variable} and no INGEST_SOURCES_DIR file of this source references it, so it may go nowhere; bind it with INGEST_SECRET_ORIGINS=${variable}=<origin>`,
  };
}

/**
 * Refuses a request to `url` that would carry a secret to an origin it is not bound to, before the
 * request; the refusal names the field and the variable, never the value.
 */
export function checkSecretOrigins(url: string, secrets: ResolvedSecrets, what: string): void {
  const origin = new URL(url).origin;
  for (const b of secrets.bindings) {
    if (b.origins.has(origin)) continue;
    throw ApplicationFailure.nonRetryable(
      `${what} ${url} would carry the secret ${b.field} (${b.variable}) to ${origin}: refused, and no request was sent (${b.boundBy})`,
      FailureType.SourceDestination,
      { field: b.field, variable: b.variable, origin },
    );
  }
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
  bind: (variable: string) => Pick<SecretBinding, 'origins' | 'boundBy'>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSecrets {
  checkSecretReferences(source, allow);
  const resolved: ResolvedSecrets = { headers: {}, query: [], bindings: [] };
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
      resolved.bindings.push({ field, variable: value.env, ...bind(value.env) });
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
