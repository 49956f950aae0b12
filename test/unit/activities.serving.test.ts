/**
 * checkMojoServable, the worker's verdict on a champion's MOJO: a file the scorer allocates without
 * bound on is a verdict (servable: false, naming the heap limit), reached in a load thread, while the
 * worker process goes on; a good file is servable.
 */
import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config';
import type { ActivityDeps } from '../../src/activities/deps';
import { createServingActivities } from '../../src/activities/serving';
import { glmMojo, treeBombMojo } from '../helpers/hand-mojos';

const dir = mkdtempSync(join(tmpdir(), 'servable-'));
const deps = { config: { mojoLoad: { maxHeapMb: 64, timeoutMs: 600_000 } } as Config } as ActivityDeps;
const { checkMojoServable } = createServingActivities(deps);

function artifact(name: string, bytes: Buffer) {
  const artifactPath = join(dir, name);
  writeFileSync(artifactPath, bytes);
  return { artifactPath, artifactSha256: createHash('sha256').update(bytes).digest('hex') };
}

describe('checkMojoServable', () => {
  it('a MOJO that allocates without bound is not servable: its load thread ran out of heap', async () => {
    const input = artifact('bomb.zip', treeBombMojo());
    const verdict = await new MockActivityEnvironment().run(checkMojoServable, input);
    expect(verdict).toEqual({
      servable: false,
      problem: `MOJO ${input.artifactPath}: memory: loading it needs more than 64 MiB of heap (MOJO_LOAD_MAX_HEAP_MB); the thread was stopped`,
    });
  });

  it('a good MOJO is servable', async () => {
    const verdict = await new MockActivityEnvironment().run(checkMojoServable, artifact('glm.zip', glmMojo(2, 1)));
    expect(verdict).toEqual({ servable: true, problem: null });
  });
});
