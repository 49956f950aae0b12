/** Health activities: one per component, each returns the component's version. */
import { ApplicationFailure } from '@temporalio/activity';
import { H2OClient } from '../h2o/client';
import { checkH2OVersion, type H2OVersionCheck } from '../h2o/version';
import { cloudError, readAndLockCloud } from '../h2o/cloud';
import type { ComponentHealth, H2OCloudHealth } from '../shared/contracts/stack-health';
import { FailureType } from '../shared/errors';
import type { ActivityDeps } from './deps';

export interface H2OHealth extends ComponentHealth {
  versionCheck: H2OVersionCheck;
  cloud: H2OCloudHealth;
}

export function createHealthActivities({ config, pool, redis }: ActivityDeps) {
  return {
    async checkPostgres(): Promise<ComponentHealth> {
      const v = await pool.query<{ server_version: string; partman: string | null }>(
        "SELECT current_setting('server_version') AS server_version, (SELECT extversion FROM pg_extension WHERE extname = 'pg_partman') AS partman",
      );
      const row = v.rows[0]!;
      return {
        component: 'postgres',
        version: `${row.server_version} (pg_partman ${row.partman ?? 'missing'})`,
        address: `${config.postgres.host}:${config.postgres.port}`,
      };
    },

    async checkRedis(): Promise<ComponentHealth> {
      const info = await redis.info('server');
      const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
      return { component: 'redis', version, address: `${config.redis.host}:${config.redis.port}` };
    },

    /**
     * The H2O version check (the pinned release, never a MOJO-gated build) and the cloud check: every
     * one of H2O_NODES nodes healthy, consensus, locked (src/h2o/cloud.ts).
     */
    async checkH2O(): Promise<H2OHealth> {
      const h2o = new H2OClient(config.h2o.url);
      const cloud = await h2o.cloud();
      const versionCheck = checkH2OVersion(cloud.version, config.h2o.version);
      if (versionCheck.verdict === 'gated') {
        // Retrying cannot un-gate a build: fail now with the reason.
        throw ApplicationFailure.nonRetryable(versionCheck.message, FailureType.H2OVersion, versionCheck);
      }
      // A lost node: non-retryable (clouds do not heal). A cloud still forming: retried, it may complete.
      const check = await readAndLockCloud(h2o, { nodes: config.h2o.nodes, members: config.h2o.members });
      const refused = cloudError(check);
      if (refused) throw refused; // toFailure (src/shared/failure.ts) makes H2OCloudLostError non-retryable
      const health: H2OCloudHealth = {
        name: check.name,
        size: check.size,
        expected: check.expected,
        locked: check.locked,
        nodes: check.nodes.map((n) => n.address),
        message: check.message,
      };
      return { component: 'h2o', version: cloud.version, address: config.h2o.url, versionCheck, cloud: health };
    },
  };
}
