/**
 * All activities, grouped by the system they touch. The worker registers the merged object;
 * workflows type their proxies from the individual factories' return types.
 */
import { failing } from '../shared/failure';
import type { ActivityDeps } from './deps';
import { createDriftActivities } from './drift';
import { createFeatureStoreActivities } from './feature-store';
import { createH2OActivities } from './h2o';
import { createHealthActivities } from './health';
import { createSourceApiActivities } from './source-api';
import { createRegistryActivities } from './registry';
import { createServingActivities } from './serving';
import { createTrainingSetActivities } from './training-set';
import { createWebhookActivities } from './webhooks';

type Activity = (...args: never[]) => Promise<unknown>;

/** Every activity's errors go through toFailure, the one rule for what a retry cannot fix. */
function withFailures<T extends Record<string, Activity>>(activities: T): T {
  const wrapped: Record<string, Activity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = (...args: never[]) => failing(() => activity(...args));
    // the worker registers activities by property name; the function name shows in stack traces
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}

export function createActivities(deps: ActivityDeps) {
  return withFailures({
    ...createHealthActivities(deps),
    ...createH2OActivities(deps),
    ...createTrainingSetActivities(deps),
    ...createSourceApiActivities(deps),
    ...createFeatureStoreActivities(deps),
    ...createDriftActivities(deps),
    ...createRegistryActivities(deps),
    ...createServingActivities(deps),
    ...createWebhookActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
