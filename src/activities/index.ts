/**
 * All activities, grouped by the system they touch. The worker registers the merged object;
 * workflows type their proxies from the individual factories' return types.
 */
import type { ActivityDeps } from './deps';
import { createDriftActivities } from './drift';
import { createFeatureStoreActivities } from './feature-store';
import { createH2OActivities } from './h2o';
import { createHealthActivities } from './health';
import { createSourceApiActivities } from './source-api';
import { createRegistryActivities } from './registry';
import { createTrainingSetActivities } from './training-set';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createH2OActivities(deps),
    ...createTrainingSetActivities(deps),
    ...createSourceApiActivities(deps),
    ...createFeatureStoreActivities(deps),
    ...createDriftActivities(deps),
    ...createRegistryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
