/** The training-set activity: the feature store's point-in-time join, streamed into two H2O frames. */
import {
  extractTrainingSet,
  type ExtractTrainingSetInput,
  type ExtractTrainingSetOutput,
} from '../feature-store/training-set';
import { H2OClient } from '../h2o/client';
import { namingCloudLoss } from '../h2o/cloud';
import type { ActivityDeps } from './deps';
import { heartbeating } from './heartbeat';

export function createTrainingSetActivities(deps: ActivityDeps) {
  const h2o = new H2OClient(deps.config.h2o.url);
  const cloud = { nodes: deps.config.h2o.nodes, members: deps.config.h2o.members };
  return {
    /** Point-in-time join → CSV stream → two H2O frames. Heartbeats while rows stream; a lost H2O node is named. */
    async extractTrainingSet(input: ExtractTrainingSetInput): Promise<ExtractTrainingSetOutput> {
      // The join itself runs without callbacks: the timer keeps heartbeating through it.
      return namingCloudLoss(h2o, cloud, () =>
        heartbeating({ stage: 'query', amount: 0 }, (report) =>
          extractTrainingSet(deps, input, (stage, amount) => report({ stage, amount })),
        ),
      );
    },
  };
}
