/**
 * stackHealth: one activity per component (PostgreSQL, Redis, H2O), run in parallel; returns their
 * versions and the H2O cloud's size (refused unless complete and locked, naming the node at fault). The first workflow `npm run demo` runs, proving the worker reaches every component.
 */
import { proxyActivities, log } from '@temporalio/workflow';
import type { createHealthActivities, ComponentHealth, H2OCloudHealth, H2OHealth } from '../activities/health';

const { checkPostgres, checkRedis, checkH2O } = proxyActivities<ReturnType<typeof createHealthActivities>>({
  startToCloseTimeout: '30 seconds',
  // A component that is still starting gets a few tries; a stack that is down fails within a minute.
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export interface StackHealthInput {
  /** free text shown in the history, e.g. who asked */
  requestedBy?: string;
}

export interface StackHealthOutput {
  components: ComponentHealth[];
  h2oVersionOk: boolean;
  /** the H2O cloud: checkH2O fails unless it is complete (H2O_NODES), agreed and locked */
  h2oCloud: H2OCloudHealth;
}

export async function stackHealth(input: StackHealthInput = {}): Promise<StackHealthOutput> {
  log.info('checking stack health', { requestedBy: input.requestedBy ?? 'unknown' });
  const [postgres, redis, h2o] = await Promise.all([checkPostgres(), checkRedis(), checkH2O()]);
  return { components: [postgres, redis, stripCheck(h2o)], h2oVersionOk: h2o.versionCheck.ok, h2oCloud: h2o.cloud };
}

function stripCheck({ versionCheck: _version, cloud: _cloud, ...health }: H2OHealth): ComponentHealth {
  return health;
}
