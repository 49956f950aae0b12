/** Health activities: one per component, each returns the component's version. */
import { ApplicationFailure } from '@temporalio/activity';
import { H2OClient } from '../h2o/client';
import { checkH2OVersion, type H2OVersionCheck } from '../h2o/version';
import { FailureType } from '../shared/errors';
import type { ActivityDeps } from './deps';

export interface ComponentHealth {
  component: 'postgres' | 'redis' | 'h2o';
  version: string;
  address: string;
}

export interface H2OHealth extends ComponentHealth {
  versionCheck: H2OVersionCheck;
}

export function createHealthActivities({ config, pool, redis }: ActivityDeps) {
  return {
    async checkPostgres(): Promise<ComponentHealth> {
      const v = await pool.query<{ server_version: string; partman: string | null }>(
        "SELECT current_setting('server_version') AS server_version, (SELECT extversion FROM pg_extension WHERE extname = 'pg_partman') AS partman",
      );
      const row = v.rows[0]!;
      return { component: 'postgres', version: `${row.server_version} (pg_partman ${row.partman ?? 'missing'})`, address: `${config.postgres.host}:${config.postgres.port}` };
    },

    async checkRedis(): Promise<ComponentHealth> {
      const info = await redis.info('server');
      const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
      return { component: 'redis', version, address: `${config.redis.host}:${config.redis.port}` };
    },

    /** The H2O version check: the cluster must run the pinned release, and never a MOJO-gated build. */
    async checkH2O(): Promise<H2OHealth> {
      const cloud = await new H2OClient(config.h2o.url).cloud();
      const versionCheck = checkH2OVersion(cloud.version, config.h2o.version);
      if (versionCheck.verdict === 'gated') {
        // Retrying cannot un-gate a build: fail now with the reason.
        throw ApplicationFailure.nonRetryable(versionCheck.message, FailureType.H2OVersion, versionCheck);
      }
      return { component: 'h2o', version: cloud.version, address: config.h2o.url, versionCheck };
    },
  };
}
