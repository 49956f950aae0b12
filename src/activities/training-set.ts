/** The training-set activity: the feature store's point-in-time join, streamed into two H2O frames. */
import { extractTrainingSet, type ExtractTrainingSetInput, type ExtractTrainingSetOutput } from '../feature-store/training-set';
import type { ActivityDeps } from './deps';
import { heartbeating } from './heartbeat';

export function createTrainingSetActivities(deps: ActivityDeps) {
  return {
    /** Point-in-time join → CSV stream → two H2O frames. Heartbeats while rows stream. */
    async extractTrainingSet(input: ExtractTrainingSetInput): Promise<ExtractTrainingSetOutput> {
      // The join itself runs without callbacks: the timer keeps heartbeating through it.
      return heartbeating({ stage: 'query', amount: 0 }, (report) => extractTrainingSet(deps, input, (stage, amount) => report({ stage, amount })));
    },
  };
}
