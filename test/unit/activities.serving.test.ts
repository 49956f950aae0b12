/**
 * checkMojoServable, the worker's verdict on a champion's MOJO: a file the scorer allocates without
 * bound on is a verdict (servable: false, naming the heap limit), reached in a load thread, while the
 * worker process goes on; a good file is servable.
 */
import type { ServingCheck } from '../../src/registry/types';
import { describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config';
import type { ActivityDeps } from '../../src/activities/deps';
import { createServingActivities } from '../../src/activities/serving';
import { GOLDEN_MAX_BYTES } from '../../src/mojo/checked-load';
import { goldenPathOf } from '../../src/mojo/golden';
import { glmMojo, goldenBomb } from '../helpers/hand-mojos';

const dir = mkdtempSync(join(tmpdir(), 'servable-'));
const deps = { config: { mojoLoad: { maxHeapMb: 64, timeoutMs: 600_000 } } as Config } as ActivityDeps;
const { checkMojoServable } = createServingActivities(deps);

function artifact(name: string, bytes: Buffer) {
  const artifactPath = join(dir, name);
  writeFileSync(artifactPath, bytes);
  return { artifactPath, artifactSha256: createHash('sha256').update(bytes).digest('hex') };
}

describe('checkMojoServable', () => {
  it('a MOJO whose golden rows would parse to many times their size is not servable, unparsed', async () => {
    const input = artifact('bomb.zip', glmMojo(2, 1));
    const bomb = goldenBomb();
    writeFileSync(goldenPathOf(input.artifactPath), bomb);
    const verdict = await new MockActivityEnvironment().run(checkMojoServable, input);
    expect(verdict).toEqual({
      servable: false,
      problem: `MOJO ${input.artifactPath}: golden rows: the file is ${bomb.length} bytes, more than golden rows take (at most ${GOLDEN_MAX_BYTES})`,
    });
  });

  it('a MOJO that does not reproduce its golden rows is not servable: the check is the one the service makes', async () => {
    const input = artifact('drifted.zip', glmMojo(2, 1));
    // y = 2x + 1 gives 3 for x = 1, not 5
    writeFileSync(
      goldenPathOf(input.artifactPath),
      JSON.stringify({ h2oModelId: 'drifted', rows: [{ features: { x: 1 }, expected: [5] }] }),
    );
    const verdict = (await new MockActivityEnvironment().run(checkMojoServable, input)) as ServingCheck;
    expect(verdict.servable).toBe(false);
    expect(verdict.problem).toMatch(/golden rows/);
  });

  it('a good MOJO is servable', async () => {
    const verdict = await new MockActivityEnvironment().run(checkMojoServable, artifact('glm.zip', glmMojo(2, 1)));
    expect(verdict).toEqual({ servable: true, problem: null });
  });
});
