/** Waiting for an H2O job: poll its status until DONE, FAILED or CANCELLED (status only: progress lies). */
import { setTimeout as sleep } from 'node:timers/promises';
import { H2OError, H2OUnreachableError } from '../shared/errors';
import type { H2OClient } from './client';
import type { JobV3 } from './schemas';

export interface PollJobOptions {
  /** pause between polls, ms @default 250 */
  intervalMs?: number;
  /** called after every poll (heartbeat here) */
  onPoll?: (job: JobV3) => void | Promise<void>;
  /** stops polling (the job keeps running; cancel it separately) */
  signal?: AbortSignal;
  /** how long polls may keep failing to connect before giving up, ms @default 60000 */
  unreachableGraceMs?: number;
  /**
   * Checks the cloud (throws when it lost a node): every `watchIntervalMs` while the job runs, and
   * before a FAILED job is reported, so a dead node is named instead of a job that hangs or fails vaguely.
   */
  watchCloud?: () => Promise<void>;
  /** @default 5000 */
  watchIntervalMs?: number;
}

/** A job that ended FAILED: H2O's exception text in the message, the job itself attached. */
export class H2OJobFailedError extends H2OError {
  constructor(readonly job: JobV3) {
    super(
      `H2O job ${job.description} (${job.dest?.name ?? job.key.name}) failed: ${jobFailureMessage(job)}`,
      500,
      undefined,
    );
  }
}

export function isFinished(job: JobV3): boolean {
  return job.status === 'DONE' || job.status === 'FAILED' || job.status === 'CANCELLED';
}

/** H2O's reason for a failed job: the exception text without the Java class noise. */
export function jobFailureMessage(job: JobV3): string {
  const raw = job.exception ?? job.progress_msg ?? 'no reason given';
  return raw
    .replace(/^[\w.$]+(Exception|Error):\s*/, '')
    .replace(/\s*\n\s*/g, '; ')
    .trim();
}

/**
 * Polls until the job finishes and returns it. A FAILED job throws H2OError (status 500, H2O's
 * exception text, H2OJobFailedError); CANCELLED is returned for the caller to judge. Connection failures are retried for
 * `unreachableGraceMs` (H2O under load drops polls) and then rethrown.
 */
export async function pollJob(client: H2OClient, jobKey: string, options: PollJobOptions = {}): Promise<JobV3> {
  const intervalMs = options.intervalMs ?? 250;
  const graceMs = options.unreachableGraceMs ?? 60_000;
  let failingSince: number | undefined;
  let watchedAt = Date.now();
  for (;;) {
    if (options.watchCloud && Date.now() - watchedAt >= (options.watchIntervalMs ?? 5000)) {
      watchedAt = Date.now();
      await options.watchCloud();
    }
    let job: JobV3 | undefined;
    try {
      job = await client.job(jobKey);
      failingSince = undefined;
    } catch (err) {
      if (!(err instanceof H2OUnreachableError)) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > graceMs) throw err;
    }
    if (job) {
      await options.onPoll?.(job);
      if (job.status === 'FAILED') {
        // A job H2O fails for a lost node ("DistributedException from /ip:port"): the cloud says which.
        await options.watchCloud?.();
        throw new H2OJobFailedError(job);
      }
      if (isFinished(job)) return job;
    }
    await sleep(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
