/**
 * PostgreSQL 15 with pg_partman: a private cluster under the state folder, started with
 * warehouse/postgresql.conf so the production tuning is exercised for real. initdb and postgres refuse
 * to run as root, so as root they run as the `postgres` user.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  chownSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../config';
import { StackError } from '../shared/errors';
import type { StackComponent, StackContext } from './component';
import { isDebInstalled } from './install';
import {
  assertPortFree,
  awaitIfRunning,
  daemonPid,
  isPortOpen,
  run,
  startDaemon,
  stopDaemon,
  waitUntil,
} from './process';

const NAME = 'postgres';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const PACKAGES = ['postgresql-15', 'postgresql-15-partman'];
const asRoot = () => process.getuid?.() === 0;

interface PgLayout {
  /** folder owned by the server user: data/ and the unix socket */
  home: string;
  data: string;
  socket: string;
}

/**
 * As root the cluster belongs to `postgres`, which must be able to reach it. When the state folder
 * sits below a directory postgres cannot traverse (e.g. /root), the cluster lives in
 * /var/lib/mlops-orchestrator/<hash> and the state folder links to it.
 */
function layout(ctx: StackContext): PgLayout {
  const link = join(ctx.config.stack.stateDir, 'postgres');
  if (!asRoot()) return { home: link, data: join(link, 'data'), socket: join(link, 'socket') };
  mkdirSync(ctx.config.stack.stateDir, { recursive: true });
  const reachable = (() => {
    try {
      run('runuser', ['-u', 'postgres', '--', 'test', '-x', ctx.config.stack.stateDir]);
      return true;
    } catch {
      return false;
    }
  })();
  let home = link;
  if (!reachable) {
    home = join('/var/lib/mlops-orchestrator', createHash('sha256').update(link).digest('hex').slice(0, 12));
    if (!existsSync(link)) {
      mkdirSync(home, { recursive: true });
      symlinkSync(home, link);
    } else if (!lstatSync(link).isSymbolicLink()) {
      home = link;
    }
  }
  mkdirSync(home, { recursive: true });
  chownSync(home, uid('postgres'), gid('postgres'));
  return { home, data: join(home, 'data'), socket: join(home, 'socket') };
}

function uid(user: string): number {
  return Number(run('id', ['-u', user]).trim());
}
function gid(user: string): number {
  return Number(run('id', ['-g', user]).trim());
}
/** The user the server runs as: `postgres` when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  return asRoot() ? { uid: uid('postgres'), gid: gid('postgres') } : undefined;
}

/** Runs a PostgreSQL binary as the server user. */
function pgRun(binary: string, args: string[], what: string): string {
  const user = serverUser();
  return run(join(PG_BIN, binary), args, {
    what,
    uid: user?.uid,
    gid: user?.gid,
    cwd: '/',
    env: { ...process.env, HOME: '/var/lib/postgresql' },
  });
}

function initCluster(ctx: StackContext, pg: PgLayout): void {
  if (existsSync(join(pg.data, 'PG_VERSION'))) return;
  ctx.log(`initdb ${pg.data}`);
  pgRun(
    'initdb',
    [
      '-D',
      pg.data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ],
    'initdb',
  );
  // Our settings come after the defaults initdb wrote, so they win.
  const conf = join(pg.data, 'postgresql.conf');
  writeFileSync(
    conf,
    `${readFileSync(conf, 'utf8')}\n# added by the mlops local stack\ninclude 'tuning.conf'\ninclude 'local.conf'\n`,
  );
}

/** Copies warehouse/postgresql.conf in (the server may not read the repo) and writes the loopback settings. */
function writeConfig(ctx: StackContext, pg: PgLayout): void {
  const { host, port, database } = ctx.config.postgres;
  mkdirSync(pg.socket, { recursive: true });
  copyFileSync(join(projectRoot, 'warehouse', 'postgresql.conf'), join(pg.data, 'tuning.conf'));
  writeFileSync(
    join(pg.data, 'local.conf'),
    [
      '# written by `npm run stack:up` on every start: where this local cluster listens',
      `listen_addresses = '${host}'`,
      `port = ${port}`,
      `unix_socket_directories = '${pg.socket}'`,
      `pg_partman_bgw.dbname = '${database}'`,
      '',
    ].join('\n'),
  );
  if (asRoot()) run('chown', ['-R', 'postgres:postgres', pg.home]);
}

type SocketConnection = { host: string; port: number; user: string; database: string };

function socketConnection(ctx: StackContext, pg: PgLayout, database: string): SocketConnection {
  return { host: pg.socket, port: ctx.config.postgres.port, user: 'postgres', database };
}

/** Connection settings for the local cluster's superuser, over its unix socket (trust auth). */
export function superuserConnection(ctx: StackContext, database = 'postgres'): SocketConnection {
  return socketConnection(ctx, layout(ctx), database);
}

async function superuser<T>(
  ctx: StackContext,
  pg: PgLayout,
  database: string,
  fn: (c: Client) => Promise<T>,
): Promise<T> {
  const client = new Client(socketConnection(ctx, pg, database));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the owner role (MIGRATE_DATABASE_URL) and the database it owns, then the rest of the roles. */
async function bootstrap(ctx: StackContext, pg: PgLayout): Promise<void> {
  const { ownerUser, ownerPassword, database } = ctx.config.postgres;
  await superuser(ctx, pg, 'postgres', async (c) => {
    const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ownerUser]);
    const ident = c.escapeIdentifier(ownerUser);
    if (role.rowCount === 0) await c.query(`CREATE ROLE ${ident} LOGIN PASSWORD ${c.escapeLiteral(ownerPassword)}`);
    else await c.query(`ALTER ROLE ${ident} PASSWORD ${c.escapeLiteral(ownerPassword)}`);
    const db = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (db.rowCount === 0) await c.query(`CREATE DATABASE ${c.escapeIdentifier(database)} OWNER ${ident}`);
  });
  await ensureDatabaseRoles(ctx);
}

/**
 * warehouse/roles.sql as the superuser: the owner (MIGRATE_DATABASE_URL) and the worker's
 * least-privilege role (DATABASE_URL), pg_partman, grants and default privileges. Idempotent; run on
 * every `stack:up` and by the test suite's setup, so a stack started before the worker role existed
 * gets it without a restart. Changes no existing password but the worker role's own.
 */
export async function ensureDatabaseRoles(ctx: StackContext): Promise<void> {
  const { user, password, ownerUser, ownerPassword, database } = ctx.config.postgres;
  if (user === ownerUser)
    throw new StackError(
      `DATABASE_URL and MIGRATE_DATABASE_URL name the same role ${user}`,
      'the worker needs its own least-privilege role: DATABASE_URL=postgresql://mlops_worker:…@host/db',
    );
  const sql = readFileSync(join(projectRoot, 'warehouse', 'roles.sql'), 'utf8');
  await superuser(ctx, layout(ctx), database, async (c) => {
    await c.query(
      "SELECT set_config('mlops.owner_role', $1, false), set_config('mlops.owner_password', $2, false), set_config('mlops.worker_role', $3, false), set_config('mlops.worker_password', $4, false)",
      [ownerUser, ownerPassword, user, password],
    );
    await c.query(sql);
  });
}

/** The server and pg_partman versions as the owner role sees them; undefined when it cannot log in. */
async function serverVersion(ctx: StackContext): Promise<string | undefined> {
  const client = new Client({ connectionString: ctx.config.postgres.migrateUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string; partman: string | null }>(
      "SELECT current_setting('server_version') AS server_version, (SELECT extversion FROM pg_extension WHERE extname = 'pg_partman') AS partman",
    );
    return `${rows[0]!.server_version}, pg_partman ${rows[0]!.partman ?? 'missing'}`;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

async function healthy(ctx: StackContext): Promise<boolean> {
  return (await serverVersion(ctx)) !== undefined;
}

/** Starts (or restarts) the server process on an initialised cluster and waits for it. Used by tests that restart PostgreSQL. */
export async function startPostgres(ctx: StackContext): Promise<void> {
  const pg = layout(ctx);
  writeConfig(ctx, pg);
  startDaemon({
    name: NAME,
    command: join(PG_BIN, 'postgres'),
    args: ['-D', pg.data],
    paths: ctx.paths,
    user: serverUser(),
    cwd: pg.home,
  });
  await waitUntil(
    NAME,
    async () =>
      (await isPortOpen(ctx.config.postgres.host, ctx.config.postgres.port)) && (await superuserReady(ctx, pg)),
    ctx.config.stack.startTimeoutS,
    join(ctx.paths.logs, `${NAME}.log`),
  );
}

/**
 * Stops the server with a "fast" shutdown (SIGINT: disconnects clients, then checkpoints), as an
 * operator restart does. Used by `stack:down` and by tests that restart PostgreSQL mid-run.
 */
export async function stopPostgres(ctx: StackContext): Promise<void> {
  const pid = daemonPid(NAME, ctx.paths);
  if (pid !== undefined) process.kill(pid, 'SIGINT');
  await stopDaemon(NAME, ctx.paths, 60000);
}

async function superuserReady(ctx: StackContext, pg: PgLayout): Promise<boolean> {
  try {
    await superuser(ctx, pg, 'postgres', (c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

export const postgresComponent: StackComponent = {
  name: NAME,
  missingPackages: () => PACKAGES.filter((p) => !isDebInstalled(p)),

  async up(ctx) {
    const { host, port } = ctx.config.postgres;
    if (await awaitIfRunning(NAME, ctx.paths, () => healthy(ctx), ctx.config.stack.startTimeoutS)) {
      await ensureDatabaseRoles(ctx);
      return;
    }
    await assertPortFree(NAME, host, port, 'DATABASE_URL');
    const pg = layout(ctx);
    initCluster(ctx, pg);
    ctx.log(`starting postgres on ${host}:${port} (data ${pg.data})`);
    await startPostgres(ctx);
    await bootstrap(ctx, pg);
    if (!(await healthy(ctx)))
      throw new StackError(
        `postgres runs but ${ctx.config.postgres.migrateUrl.replace(/:[^:@/]*@/, ':***@')} does not accept the login`,
        'npm run stack:down && rm -rf .stack/postgres && npm run stack:up',
      );
  },

  async down(ctx) {
    await stopPostgres(ctx);
  },

  async status(ctx) {
    const { host, port } = ctx.config.postgres;
    const ours = daemonPid(NAME, ctx.paths) !== undefined;
    const version = ours ? await serverVersion(ctx) : undefined;
    const open = await isPortOpen(host, port);
    return {
      name: NAME,
      state: ours ? (version ? 'running' : 'unhealthy') : open ? 'foreign' : 'stopped',
      address: `${host}:${port}`,
      version,
      detail: `data ${join(ctx.config.stack.stateDir, 'postgres', 'data')}`,
    };
  },
};
