/**
 * stackHealth: one activity per component (PostgreSQL, Redis, H2O), run in parallel; returns their
 * versions and the H2O cloud's size (refused unless complete and locked, naming the node at fault). The first workflow `npm run demo` runs, proving the worker reaches every component.
 */
import { proxyActivities, log } from '@temporalio/workflow';
import type { createHealthActivities, H2OHealth } from '../activities/health';
import type { ComponentHealth, StackHealthWorkflow } from '../shared/contracts/stack-health';

const { checkPostgres, checkRedis, checkH2O } = proxyActivities<ReturnType<typeof createHealthActivities>>({
  startToCloseTimeout: '30 seconds',
  // A component that is still starting gets a few tries; a stack that is down fails within a minute.
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export const stackHealth = async function stackHealth(input = {}) {
  log.info('checking stack health', { requestedBy: input.requestedBy ?? 'unknown' });
  const [postgres, redis, h2o] = await Promise.all([checkPostgres(), checkRedis(), checkH2O()]);
  return { components: [postgres, redis, stripCheck(h2o)], h2oVersionOk: h2o.versionCheck.ok, h2oCloud: h2o.cloud };
} satisfies StackHealthWorkflow;

function stripCheck({ versionCheck: _version, cloud: _cloud, ...health }: H2OHealth): ComponentHealth {
  return health;
}
