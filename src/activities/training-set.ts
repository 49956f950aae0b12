/** The training-set activity: the feature store's point-in-time join, streamed into two H2O frames. */
import { heartbeat } from '@temporalio/activity';
import { extractTrainingSet, type ExtractTrainingSetInput, type ExtractTrainingSetOutput } from '../feature-store/training-set';
import type { ActivityDeps } from './deps';

export function createTrainingSetActivities(deps: ActivityDeps) {
  return {
    /** Point-in-time join → CSV stream → two H2O frames. Heartbeats while rows stream. */
    async extractTrainingSet(input: ExtractTrainingSetInput): Promise<ExtractTrainingSetOutput> {
      let last = { stage: 'query', amount: 0 };
      // The join itself runs without callbacks: a timer keeps heartbeating through it.
      const timer = setInterval(() => heartbeat(last), 5000);
      try {
        return await extractTrainingSet(deps, input, (stage, amount) => {
          last = { stage, amount };
          heartbeat(last);
        });
      } finally {
        clearInterval(timer);
      }
    },
  };
}
