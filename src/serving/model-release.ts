/**
 * Tells the scoring pool's threads that a version left the store (swapped out or evicted), so their
 * model caches (score-worker.ts) drop it too. A BroadcastChannel reaches every thread of the process
 * that opened one of that name, so the store and the pool need not know each other.
 */
import { BroadcastChannel } from 'node:worker_threads';

export const RELEASE_CHANNEL = 'mlops-serve-release';

/** A loaded artifact, as both the store and the threads name it. */
export function artifactKey(artifactPath: string, sha256: string): string {
  return `${artifactPath}:${sha256}`;
}

let channel: BroadcastChannel | undefined;

export function releaseInThreads(artifactPath: string, sha256: string): void {
  if (!channel) {
    channel = new BroadcastChannel(RELEASE_CHANNEL);
    // a channel keeps its thread alive; this one must not keep the process up
    channel.unref();
  }
  channel.postMessage(artifactKey(artifactPath, sha256));
}
