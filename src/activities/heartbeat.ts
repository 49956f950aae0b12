/**
 * Heartbeats on a timer. A long activity whose work has quiet stretches (an aggregate query, a
 * training job polled while H2O restarts) would otherwise miss its heartbeat timeout although it is
 * alive; the timer repeats the last details every HEARTBEAT_EVERY_MS, and the work reports newer ones
 * as it goes. A dead worker still stops heartbeating, which is what the timeout is for.
 */
import { heartbeat } from '@temporalio/activity';

/** Well inside the shortest heartbeat timeout of the workflows (15 s). */
export const HEARTBEAT_EVERY_MS = 5000;

/** Runs `work`, heartbeating `initial` at once and then the latest reported details on a timer. */
export async function heartbeating<T, D>(initial: D, work: (report: (details: D) => void) => Promise<T>): Promise<T> {
  let last = initial;
  heartbeat(last);
  const timer = setInterval(() => heartbeat(last), HEARTBEAT_EVERY_MS);
  try {
    return await work((details) => {
      last = details;
      heartbeat(details);
    });
  } finally {
    clearInterval(timer);
  }
}
