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

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR-default}` with an empty environment unless given. */
export function interpolate<T>(value: T, env: Record<string, string> = {}): T {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, name: string, fallback?: string) => env[name] ?? fallback ?? '') as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)])) as T;
  return value;
}

export const raw = parse(file('docker-compose.yml'), { merge: true }) as Json;
export const compose = interpolate(raw);
export const services = compose.services as Record<string, Service>;
export const networksOf = (s: Service): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
export const onBackend = Object.entries(services).filter(([, s]) => networksOf(s).includes('backend'));
/** Services other services wait for with service_completed_successfully: setup jobs that exit. */
export const oneShots = new Set(Object.values(services).flatMap((s) => Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition === 'service_completed_successfully').map(([name]) => name)));
export const imageTag = (image: string) => /:([^/@]+)$/.exec(image)?.[1];
export const dockerfileFrom = (name: string) => [...file(`docker/${name}`).matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
export const argDefault = (name: string, arg: string) => new RegExp(`^ARG ${arg}=(\\S+)`, 'm').exec(file(`docker/${name}`))?.[1];
