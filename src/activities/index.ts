/**
 * All activities, grouped by the system they touch. The worker registers the merged object;
 * workflows type their proxies from the individual factories' return types.
 */
import type { ActivityDeps } from './deps';
import { createDriftActivities } from './drift';
import { createHealthActivities } from './health';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createDriftActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
