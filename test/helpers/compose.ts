/** docker-compose.yml as the deployment tests read it: parsed, interpolated like compose, and a few lookups. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/config';

export type Json = Record<string, unknown>;
export interface Service extends Json {
  image?: string;
  build?: unknown;
  ports?: unknown[];
  networks?: string[] | Json;
  environment?: Record<string, string>;
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  container_name?: string;
  command?: string[];
  volumes?: string[];
  secrets?: string[];
}

export const file = (name: string) => readFileSync(join(projectRoot, name), 'utf8');

/** A value for every password docker-compose.yml requires (`${VAR:?message}`), as an operator's .env sets them. */
export const requiredEnv: Record<string, string> = {
  POSTGRES_PASSWORD: 'test-superuser-password',
  MLOPS_OWNER_DB_PASSWORD: 'test-owner-password',
  MLOPS_WORKER_DB_PASSWORD: 'test-worker-password',
  TEMPORAL_DB_PASSWORD: 'test-temporal-password',
  REDIS_PASSWORD: 'test-redis-password',
};

/** A `${VAR:?message}` whose variable is not set: compose refuses to start with the message. */
export class MissingVariable extends Error {}

/**
 * Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, and `${VAR:?message}` /
 * `${VAR?message}`, which throw MissingVariable when unset (`:?` also when empty); `$$` is a literal `$`.
 */
export function interpolate<T>(value: T, env: Record<string, string> = requiredEnv): T {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
      (match, name: string | undefined, colon: string | undefined, op: string | undefined, arg: string | undefined) => {
        if (match === '$$') return '$';
        const v = env[name!];
        const unset = v === undefined || (colon === ':' && v === '');
        if (op === '?') {
          if (unset) throw new MissingVariable(`required variable ${name} is missing a value: ${arg}`);
          return v!;
        }
        if (op === '-') return unset ? arg! : v!;
        return v ?? '';
      },
    ) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)])) as T;
  return value;
}

export const raw = parse(file('docker-compose.yml'), { merge: true }) as Json;
export const compose = interpolate(raw);
export const services = compose.services as Record<string, Service>;
export const networksOf = (s: Service): string[] =>
  Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
export const onBackend = Object.entries(services).filter(([, s]) => networksOf(s).includes('backend'));
/** Services other services wait for with service_completed_successfully: setup jobs that exit. */
export const oneShots = new Set(
  Object.values(services).flatMap((s) =>
    Object.entries(s.depends_on ?? {})
      .filter(([, d]) => d.condition === 'service_completed_successfully')
      .map(([name]) => name),
  ),
);
export const imageTag = (image: string) => /:([^/@]+)$/.exec(image)?.[1];
export const dockerfileFrom = (name: string) =>
  [...file(`docker/${name}`).matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
export const argDefault = (name: string, arg: string) =>
  new RegExp(`^ARG ${arg}=(\\S+)`, 'm').exec(file(`docker/${name}`))?.[1];
