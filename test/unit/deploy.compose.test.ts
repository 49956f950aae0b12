/**
 * docker-compose.yml checked without a Docker engine or a running stack: check-jsonschema against the
 * compose spec it ships (from PyPI, installed on first use by test/helpers/registry-tools.ts) and the
 * topology rules of the deployment issue (pinned images, internal backend, no published backend ports,
 * healthchecks/restart/limits everywhere, H2O's heap at 70% of its limit, a scalable worker).
 * test/stack/deploy.compose.test.ts adds Debian's `docker-compose config` and the versions of
 * the running stack.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { envMemoryMiB, loadConfig, projectRoot } from '../../src/config';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/shared/search-attributes';
import { h2oHeapMiB, h2oNodeHeapMiB } from '../../src/stack/h2o';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { checkJsonschema, runTool, type Tool } from '../helpers/registry-tools';
import {
  file,
  interpolate,
  MissingVariable,
  requiredEnv,
  raw,
  compose,
  services,
  networksOf,
  onBackend,
  oneShots,
  imageTag,
  dockerfileFrom,
  argDefault,
  type Json,
  type Service,
} from '../helpers/compose';

describe('docker-compose.yml against the compose specification', () => {
  let checker: Tool;
  beforeAll(() => {
    checker = checkJsonschema();
  }, 300_000);
  const check = (cwd: string, ...files: string[]) =>
    runTool(checker, ['--builtin-schema', 'vendor.compose-spec', ...files], cwd);

  it('check-jsonschema accepts docker-compose.yml and docker-compose.dev.yml', () => {
    const out = check(projectRoot, 'docker-compose.yml', 'docker-compose.dev.yml');
    expect(out.status, out.stdout + out.stderr).toBe(0);
  });

  it('and refuses what compose would, naming it: an unknown key, a malformed healthcheck', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-spec-'));
    const broken = structuredClone(raw) as { services: Record<string, Json> };
    broken.services.worker!.restart_policy = 'always';
    broken.services.redis!.healthcheck = { test: ['CMD', 'redis-cli', 'ping'], every: '10s' };
    writeFileSync(join(dir, 'docker-compose.yml'), stringify(broken));
    const out = check(dir, 'docker-compose.yml');
    rmSync(dir, { recursive: true, force: true });
    expect(out.status).not.toBe(0);
    expect(out.stdout).toMatch(/\$\.services\.worker: .*\('restart_policy' was unexpected\)/);
    expect(out.stdout).toMatch(/\$\.services\.redis\.healthcheck: 'every' does not match/);
  });
});

describe('topology rules', () => {
  it('every image is pinned to a version tag (no latest, no untagged), built images included', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name} has an image name`).toBeDefined();
      const tag = imageTag(s.image!);
      expect(tag, `${name}: ${s.image} has a tag`).toBeDefined();
      expect(tag, `${name}: ${s.image}`).not.toBe('latest');
      expect(tag, `${name}: ${s.image} names a version`).toMatch(/\d/);
    }
    for (const dockerfile of ['Dockerfile.worker', 'Dockerfile.api', 'Dockerfile.postgres', 'Dockerfile.h2o']) {
      for (const from of dockerfileFrom(dockerfile)) {
        const image = from.replace(/^\$\{(\w+)\}$/, (_m, arg: string) => argDefault(dockerfile, arg) ?? '');
        if (!image.includes(':')) continue; // a stage alias
        expect(imageTag(image), `${dockerfile}: FROM ${image}`).toMatch(/\d/);
      }
    }
  });

  it('the backend network is internal; nothing on it publishes a port, production profile included', () => {
    const networks = compose.networks as Record<string, { internal?: boolean } | null>;
    expect(networks.backend?.internal).toBe(true);
    expect(networks.frontend?.internal).not.toBe(true);
    for (const [name, s] of onBackend) expect(s.ports ?? [], `${name} publishes ports`).toEqual([]);
    expect(onBackend.map(([n]) => n).sort()).toEqual([
      'api',
      'h2o-1',
      'h2o-2',
      'migrate',
      'postgres',
      'redis',
      'temporal',
      'temporal-postgresql',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    const publishing = Object.entries(services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([n]) => n);
    expect(publishing).toEqual(['nginx']);
  });

  it('nginx runs only under the production profile, on the frontend network, with TLS secrets', () => {
    const nginx = services.nginx!;
    expect(nginx.profiles).toEqual(['production']);
    expect(networksOf(nginx)).toEqual(['frontend']);
    expect(nginx.secrets!.sort()).toEqual(['htpasswd', 'tls_cert', 'tls_key']);
    expect(nginx.volumes).toContain('./docker/nginx.conf:/etc/nginx/templates/nginx.conf.template:ro');
    // the template's one variable, the host name redirects name (never the client's Host)
    expect(nginx.environment).toMatchObject({
      NGINX_ENVSUBST_OUTPUT_DIR: '/etc/nginx',
      MLOPS_PUBLIC_HOST: 'localhost',
    });
    expect(networksOf(services['temporal-ui']!)).toContain('frontend');
    for (const [name, s] of Object.entries(services)) if (name !== 'nginx') expect(s.profiles, name).toBeUndefined();
  });

  it('the dev override publishes on loopback only', () => {
    const dev = interpolate(parse(file('docker-compose.dev.yml')) as { services: Record<string, Service> });
    const ports = Object.values(dev.services).flatMap((s) => (s.ports ?? []) as string[]);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('every service has a healthcheck (one-shot jobs: an explicit exit-code contract), a restart policy and CPU and memory limits', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.restart, `${name} restart`).toMatch(/^(unless-stopped|always|on-failure(:\d+)?)$/);
      expect(s.deploy?.resources?.limits?.memory, `${name} memory limit`).toMatch(/^\d+[mg]$/);
      expect(Number(s.deploy?.resources?.limits?.cpus), `${name} cpu limit`).toBeGreaterThan(0);
      if (oneShots.has(name)) {
        expect(s.healthcheck, name).toEqual({ disable: true });
        expect(s.restart, name).toBe('on-failure');
      } else {
        expect(
          Array.isArray(s.healthcheck?.test) && (s.healthcheck!.test as string[]).length > 1,
          `${name} healthcheck`,
        ).toBe(true);
      }
    }
    expect([...oneShots].sort()).toEqual(['migrate', 'temporal-schema', 'temporal-setup']);
  });

  it('the worker scales: no container_name, no host port, shared artifact volume', () => {
    const worker = services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    for (const [name, s] of Object.entries(services)) expect(s.container_name, name).toBeUndefined();
    expect(worker.volumes).toContain('artifacts:/var/lib/mlops/artifacts');
    expect(worker.environment!.ARTIFACT_DIR).toBe('/var/lib/mlops/artifacts');
  });

  it("the worker's environment uses src/config.ts's variable names and points at the compose services", () => {
    // docs/CONFIGURATION.md lists every variable src/config.ts reads, the TEMPORAL_* ones of envconfig included
    const known = new Set([...file('docs/CONFIGURATION.md').matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
    expect(known.size).toBeGreaterThan(30);
    const env = services.worker!.environment!;
    for (const name of Object.keys(env))
      if (name !== 'NODE_OPTIONS') expect(known.has(name), `${name} is read by src/config.ts`).toBe(true);
    const cfg = loadConfig(env);
    expect(cfg.postgres).toMatchObject({ host: 'postgres', database: 'mlops', user: 'mlops_worker' });
    expect(cfg.redis.host).toBe('redis');
    expect(cfg.h2o.host).toBe('h2o'); // h2o-1's network alias
    expect(cfg.temporal.address).toBe('temporal:7233');
    // migrate: the worker's settings plus the owner's login, which only it has
    const { MIGRATE_DATABASE_URL: ownerUrl, ...migrateRest } = services.migrate!.environment!;
    expect(migrateRest).toEqual(env);
    expect(loadConfig(services.migrate!.environment!).postgres).toMatchObject({
      ownerUser: 'mlops',
      ownerPassword: requiredEnv.MLOPS_OWNER_DB_PASSWORD,
      host: 'postgres',
      database: 'mlops',
    });
    expect(ownerUrl).toBeDefined();
  });

  it('the worker sees sources/ and models.yaml, read-only, where its config looks for them', () => {
    const worker = services.worker!;
    const cfg = loadConfig(worker.environment!);
    expect(worker.volumes).toContain(`./sources:${cfg.ingest.sourcesDir}:ro`);
    expect(worker.volumes).toContain(`./models.yaml:${cfg.models.configPath}:ro`);
    expect(cfg.ingest.sourcesDir).toBe('/app/sources');
    expect(cfg.models.configPath).toBe('/app/models.yaml');
    // the image's project root is /app (docker/Dockerfile.worker), and both exist in the repository
    expect(file('docker/Dockerfile.worker')).toMatch(/^WORKDIR \/app$/m);
    expect(statSync(join(projectRoot, 'sources')).isDirectory()).toBe(true);
    expect(existsSync(join(projectRoot, 'models.yaml'))).toBe(true);
    // and nothing else of the worker is writable but the artifact volume
    expect(worker.volumes!.filter((v) => !v.endsWith(':ro'))).toEqual(['artifacts:/var/lib/mlops/artifacts']);
  });

  it('every password must be given: compose refuses to interpolate without it, and none has a default', () => {
    const text = file('docker-compose.yml');
    expect(text).not.toMatch(/PASSWORD:?-/); // no ${..._PASSWORD:-default}
    for (const name of Object.keys(requiredEnv)) {
      expect(text, name).toMatch(new RegExp(`\\$\\{${name}:\\?[^}]+\\}`));
      const { [name]: _dropped, ...rest } = requiredEnv;
      expect(() => interpolate(raw, rest), name).toThrow(MissingVariable);
      expect(() => interpolate(raw, { ...rest, [name]: '' }), `${name} empty`).toThrow(new RegExp(name));
    }
  });

  it('PostgreSQL: the superuser only bootstraps; migrations run as the owner, the worker as a least-privilege role', () => {
    const pg = services.postgres!;
    expect(pg.environment!.POSTGRES_USER).toBe('postgres');
    expect(pg.volumes).toContain('./docker/postgres-init.sh:/docker-entrypoint-initdb.d/010-roles.sh:ro');
    expect(pg.volumes).toContain('./warehouse/roles.sql:/etc/mlops/roles.sql:ro');
    expect(file('docker/postgres-init.sh')).toContain('/etc/mlops/roles.sql');
    const worker = loadConfig(services.worker!.environment!).postgres;
    const migrate = loadConfig(services.migrate!.environment!).postgres;
    expect(worker.user).not.toBe(migrate.ownerUser);
    expect(worker.user).not.toBe(pg.environment!.POSTGRES_USER);
    expect(worker.password).toBe(pg.environment!.MLOPS_WORKER_DB_PASSWORD);
    expect(migrate.ownerPassword).toBe(pg.environment!.MLOPS_OWNER_DB_PASSWORD);
    // the worker never holds the owner's or the superuser's password
    const workerEnv = JSON.stringify(services.worker!.environment);
    expect(workerEnv).not.toContain(requiredEnv.MLOPS_OWNER_DB_PASSWORD);
    expect(workerEnv).not.toContain(requiredEnv.POSTGRES_PASSWORD);
  });

  it("Redis requires a password, the one in the worker's REDIS_URL, and its healthcheck authenticates", () => {
    const redis = services.redis!;
    expect(redis.environment!.REDIS_PASSWORD).toBe(requiredEnv.REDIS_PASSWORD);
    expect(redis.command!.join(' ')).toContain('--requirepass "$REDIS_PASSWORD"');
    expect(loadConfig(services.worker!.environment!).redis.password).toBe(requiredEnv.REDIS_PASSWORD);
    expect((redis.healthcheck!.test as string[]).join(' ')).toContain('REDISCLI_AUTH="$REDIS_PASSWORD"');
  });

  it('docs/DEPLOY.md and docker-compose.yml name the same htpasswd method', () => {
    const method = 'openssl passwd -apr1';
    expect(file('docker-compose.yml')).toContain(method);
    expect(file('docs/DEPLOY.md')).toContain(method);
    for (const doc of ['docker-compose.yml', 'docs/DEPLOY.md']) expect(file(doc), doc).not.toContain('htpasswd -B');
  });

  it('the api service scales behind nginx: both networks, no container_name or host port, healthcheck on /readyz', () => {
    const api = services.api!;
    expect(networksOf(api).sort()).toEqual(['backend', 'frontend']);
    expect(networksOf(api)).not.toContain('egress');
    expect(api.container_name).toBeUndefined();
    expect(api.ports).toBeUndefined();
    expect(api.build).toEqual({ context: '.', dockerfile: 'docker/Dockerfile.api' });
    expect(api.healthcheck!.test).toEqual(['CMD', 'node', 'src/deploy/api-healthcheck.js']);
    // the same script the image's HEALTHCHECK runs, and it probes /readyz
    expect(file('docker/Dockerfile.api')).toMatch(
      /HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "src\/deploy\/api-healthcheck\.js"\]/,
    );
    expect(file('src/deploy/api-healthcheck.ts')).toMatch(/\/readyz/);
    expect(api.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it("the api service reads the workers' artifacts read-only at the path the registry records, and models.yaml read-only", () => {
    const api = services.api!;
    const env = api.environment!;
    const worker = services.worker!.environment!;
    expect(env.ARTIFACT_DIR).toBe(worker.ARTIFACT_DIR);
    expect(api.volumes).toContain(`artifacts:${worker.ARTIFACT_DIR}:ro`);
    expect(services.worker!.volumes).toContain(`artifacts:${worker.ARTIFACT_DIR}`);
    expect(api.volumes).toContain(`./models.yaml:${env.MODELS_CONFIG}:ro`);
    for (const v of api.volumes!) expect(v, 'every mount of the api is read-only').toMatch(/:ro$/);
    // the worker's connection settings, not copies of them
    for (const name of ['DATABASE_URL', 'REDIS_URL']) expect(env[name], name).toBe(worker[name]);
    // read by an env* helper of src/config.ts, or documented there (TEMPORAL_* come through @temporalio/envconfig)
    const known = new Set(
      [...file('src/config.ts').matchAll(/env[A-Za-z]*\([^,]+, '([A-Z0-9_]+)'/g)].map((m) => m[1]!),
    );
    for (const m of file('src/config.ts').matchAll(/\/\*\* (TEMPORAL_[A-Z0-9_]+):/g)) known.add(m[1]!);
    for (const name of Object.keys(env))
      if (name !== 'NODE_OPTIONS') expect(known.has(name), `${name} is read by src/config.ts`).toBe(true);
    const cfg = loadConfig(env);
    expect(cfg.serve.host).toBe('0.0.0.0');
    expect(cfg.postgres.host).toBe('postgres');
    expect(cfg.redis.host).toBe('redis');
    // one scoring thread per CPU of the container's limit
    expect(cfg.serve.poolThreads).toBe(Number(api.deploy!.resources!.limits!.cpus));
  });

  it("nginx proxies /api/ and /ui/ to the api service on port SERVE_PORT, resolved per request by Docker's DNS, under the TLS server", () => {
    const conf = file('docker/nginx.conf');
    const tls = conf.slice(conf.indexOf('listen 443 ssl;'));
    const api = /location \/api\/ \{([\s\S]*?)\n {4}\}/.exec(tls)?.[1];
    expect(api, 'a location /api/ in the TLS server').toBeDefined();
    expect(conf.slice(0, conf.indexOf('listen 443 ssl;'))).not.toMatch(/location \/api\//); // not on plain HTTP
    expect(tls).toMatch(/\n {4}resolver 127\.0\.0\.11 /);
    expect(tls).toContain(`\n    set $api_upstream api:${services.api!.environment!.SERVE_PORT};`);
    expect(api).toMatch(/proxy_pass http:\/\/\$api_upstream;/);
    expect(api).toContain('rewrite ^/api(/.*)$ $1 break;');
    // the model pages: the same upstream, the path passed as it is
    const ui = /location \/ui\/ \{([\s\S]*?)\n {4}\}/.exec(tls)?.[1];
    expect(ui, 'a location /ui/ in the TLS server').toBeDefined();
    expect(ui).toMatch(/proxy_pass http:\/\/\$api_upstream;/);
    expect(ui).not.toContain('rewrite');
    expect(networksOf(services.nginx!).some((n) => networksOf(services.api!).includes(n))).toBe(true);
  });

  it("the search attributes registered by temporal-setup are exactly src/shared/search-attributes.ts's", () => {
    const registered = Object.fromEntries(
      services['temporal-setup']!.environment!.SEARCH_ATTRIBUTES!.split(/\s+/).map(
        (p) => p.split('=') as [string, string],
      ),
    );
    expect(registered).toEqual(SEARCH_ATTRIBUTE_TYPES);
  });

  it('PostgreSQL mounts warehouse/postgresql.conf and names the partman database; warehouse/init.sql is applied by migrate, as the owner', () => {
    const pg = services.postgres!;
    expect(pg.volumes!.some((v) => v.includes('init.sql'))).toBe(false);
    expect(file('docker/Dockerfile.worker')).toMatch(/^COPY warehouse \.\/warehouse$/m);
    expect(services.migrate!.command).toEqual(['node', 'src/cli/index.js', 'migrate']);
    expect(pg.volumes).toContain('./warehouse/postgresql.conf:/etc/postgresql/mlops.conf:ro');
    expect(pg.command).toContain('config_file=/etc/postgresql/mlops.conf');
    expect(pg.command).toContain(`pg_partman_bgw.dbname=${pg.environment!.POSTGRES_DB}`);
    expect(file('docker/Dockerfile.postgres')).toMatch(/postgresql-\$\{PG_MAJOR\}-partman/);
    expect(argDefault('Dockerfile.postgres', 'PG_PARTMAN_MAJOR')).toBe('5');
    // init.sql must handle the 5.x the image installs as well as the local 4.x
    expect(file('warehouse/init.sql')).toMatch(/ELSIF v LIKE '5\.%'/);
  });
});

describe('docker/Dockerfile.api', () => {
  const text = file('docker/Dockerfile.api');
  const stages = text.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it("is multi-stage on the worker's pinned Node image, and has no JDK anywhere", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(argDefault('Dockerfile.api', 'NODE_IMAGE')).toBe(argDefault('Dockerfile.worker', 'NODE_IMAGE'));
    expect(argDefault('Dockerfile.api', 'NODE_IMAGE')).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim$/);
    for (const from of dockerfileFrom('Dockerfile.api')) expect(from).toMatch(/^\$\{NODE_IMAGE\}/);
    const instructions = text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    expect(instructions).not.toMatch(/jdk|jre|temurin|openjdk|java/i);
  });

  it('runs the compiled service as a non-root user, with production dependencies only', () => {
    expect(runtime).toMatch(/^USER (\d+)(:\d+)?$/m);
    expect(Number(/^USER (\d+)/m.exec(runtime)![1])).toBeGreaterThan(0);
    expect(runtime).toContain('COPY --from=prod-deps /app/node_modules ./node_modules');
    expect(stages.find((st) => st.includes('AS prod-deps'))).toMatch(/npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=build /app/build/src ./src');
    expect(runtime).toMatch(/^CMD \["node", "src\/serving\/main\.js"\]$/m);
    // the scoring pool and the MOJO load check start their threads from their own folders' compiled .js
    expect(file('src/serving/scoring-pool.ts')).toContain("threadEntry(__dirname, __filename, 'score-worker')");
    expect(file('src/mojo/checked-load.ts')).toContain("threadEntry(__dirname, __filename, 'checked-load-thread')");
    expect(file('src/mojo/scorer-thread.ts')).toMatch(/join\(dir, `\$\{base\}\$\{ext\}`\)/);
    expect(runtime).not.toMatch(/tsx/);
    expect(runtime).toMatch(/SERVE_HOST=0\.0\.0\.0/);
  });
});

describe('H2O as a 2-node cloud', () => {
  const nodes = ['h2o-1', 'h2o-2'] as const;
  const flatfile = file('docker/h2o-flatfile.txt')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('every node reads the one flatfile and cloud name; the flatfile lists exactly the nodes', () => {
    expect(flatfile).toEqual(nodes.map((n) => `${n}:54321`));
    for (const n of nodes) {
      const s = services[n]!;
      expect(s.volumes, n).toContain('./docker/h2o-flatfile.txt:/etc/h2o/flatfile.txt:ro');
      expect(s.environment!.H2O_FLATFILE, n).toBe('/etc/h2o/flatfile.txt');
      expect(s.environment!.H2O_CLOUD_NAME, n).toBe(services['h2o-1']!.environment!.H2O_CLOUD_NAME);
      expect(s.environment!.H2O_NODES, n).toBe(String(nodes.length));
      expect(s.image, n).toBe(services['h2o-1']!.image);
      expect(s.healthcheck!.test, n).toEqual(['CMD', '/opt/h2o/entrypoint.sh', '--healthcheck']);
      expect(networksOf(s), n).toEqual(['backend']);
    }
    // separate spill folders
    expect(services['h2o-1']!.volumes![0]).not.toBe(services['h2o-2']!.volumes![0]);
    const command = execFileSync('bash', [join(projectRoot, 'docker', 'h2o-entrypoint.sh'), '--print-command'], {
      env: { PATH: process.env.PATH, H2O_CLOUD_NAME: 'mlops-h2o-cloud', H2O_FLATFILE: '/etc/h2o/flatfile.txt' },
      encoding: 'utf8',
    });
    expect(command).toContain('-name mlops-h2o-cloud');
    expect(command).toContain('-flatfile /etc/h2o/flatfile.txt');
  });

  it("the worker expects that cloud: H2O_URL's `h2o` is h2o-1's alias, H2O_NODES and H2O_CLOUD_MEMBERS match the flatfile, and it waits for both nodes", () => {
    const worker = services.worker!;
    const cfg = loadConfig(worker.environment!);
    const h2o1 = raw.services as Record<string, { networks?: Record<string, { aliases?: string[] }> }>;
    expect(h2o1['h2o-1']!.networks!.backend!.aliases).toEqual([cfg.h2o.host]);
    expect(cfg.h2o).toMatchObject({ nodes: nodes.length, members: flatfile, port: 54321 });
    for (const n of nodes) expect(worker.depends_on, n).toMatchObject({ [n]: { condition: 'service_healthy' } });
  });
});

describe('H2O memory: one variable, -Xmx exactly 70% of the limit', () => {
  const entrypoint = join(projectRoot, 'docker', 'h2o-entrypoint.sh');
  const heapOf = (memory: string) => {
    const out = execFileSync('bash', [entrypoint, '--print-command'], {
      env: { PATH: process.env.PATH, H2O_MEMORY: memory },
      encoding: 'utf8',
    });
    return Number(/-Xmx(\d+)m/.exec(out)![1]);
  };

  for (const memory of [undefined, '10g', '3000m']) {
    it(`H2O_NODE_MEMORY=${memory ?? '(default)'}: every node's limit and heap come from the same value`, () => {
      const env: Record<string, string> = memory ? { H2O_NODE_MEMORY: memory } : {};
      const h2o = interpolate(raw, { ...requiredEnv, ...env }).services as Record<string, Service>;
      for (const node of ['h2o-1', 'h2o-2']) {
        const limit = h2o[node]!.deploy!.resources!.limits!.memory!;
        expect(limit).toBe(memory ?? '2g');
        expect(h2o[node]!.environment!.H2O_MEMORY).toBe(limit);
        const mib = envMemoryMiB({ L: limit }, 'L', '4g');
        expect(heapOf(limit)).toBe(Math.floor(mib * 0.7));
        expect(heapOf(limit)).toBe(h2oHeapMiB(mib)); // the local stack's rounding
      }
    });
  }

  it("by default the cloud's budget is the local stack's H2O_MEMORY, split as the local stack splits it", () => {
    const h2o = interpolate(raw, requiredEnv).services as Record<string, Service>;
    const perNode = envMemoryMiB({ L: h2o['h2o-1']!.deploy!.resources!.limits!.memory! }, 'L', '4g');
    expect(perNode * 2).toBe(loadConfig({}).h2o.memoryMiB);
    expect(heapOf(`${perNode}m`)).toBe(h2oNodeHeapMiB(loadConfig({}).h2o.memoryMiB, 2));
  });

  it('refuses a malformed H2O_MEMORY by name', () => {
    const result = spawnSync('bash', [entrypoint, '--print-command'], {
      env: { PATH: process.env.PATH, H2O_MEMORY: 'lots' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('H2O_MEMORY="lots"');
  });
});

describe('versions equal the local stack', () => {
  it('H2O: the image builds the pinned H2O_VERSION of src/config.ts', () => {
    const pinned = loadConfig({}).h2o.version;
    expect(pinned).toBe('3.46.0.11');
    expect(argDefault('Dockerfile.h2o', 'H2O_VERSION')).toBe(pinned);
    for (const node of ['h2o-1', 'h2o-2']) expect(imageTag(services[node]!.image!)).toBe(pinned);
    expect(services.worker!.environment!.H2O_VERSION).toBe(pinned);
  });
});
