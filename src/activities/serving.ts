/**
 * Serving activities: whether the platform's own scorer (src/mojo, no JVM) can serve a champion's
 * MOJO, checked on the artifact the registry will point to (its sha256 first), so an unservable
 * version is known before anyone promotes it. The check is the service's own: the load and the golden
 * rows beside the MOJO, when it has them, in a thread of its own (checkMojoInThread: bounded heap and
 * time), so a hostile file costs that thread, not the worker.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { log } from '@temporalio/activity';
import { MojoError } from '../shared/errors';
import { checkMojoInThread, readGoldenText } from '../mojo/checked-load';
import type { ServingCheck } from '../registry/types';
import type { ActivityDeps } from './deps';

export interface CheckMojoServableInput {
  artifactPath: string;
  artifactSha256: string;
}

export function createServingActivities(deps: ActivityDeps) {
  return {
    /** Loads the MOJO with the platform's scorer; a MojoError is a verdict (servable: false), not a failure. */
    async checkMojoServable(input: CheckMojoServableInput): Promise<ServingCheck> {
      const bytes = await readFile(input.artifactPath);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== input.artifactSha256) {
        return {
          servable: false,
          problem: `the artifact's sha256 is ${sha256}, the registry expects ${input.artifactSha256}: the file changed after download`,
        };
      }
      try {
        const golden = await readGoldenText(input.artifactPath, input.artifactPath);
        const model = await checkMojoInThread(bytes, input.artifactPath, deps.config.mojoLoad, golden);
        log.info('MOJO servable', {
          path: input.artifactPath,
          algorithm: model.algorithm,
          category: model.category,
          mojoVersion: model.mojoVersion,
        });
        return { servable: true, problem: null };
      } catch (err) {
        if (!(err instanceof MojoError)) throw err;
        log.warn('MOJO not servable', { path: input.artifactPath, problem: err.message });
        return { servable: false, problem: err.message };
      }
    },
  };
}
