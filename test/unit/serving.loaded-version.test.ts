/**
 * loadVersion, the service's way in for a version: a MOJO the scorer allocates without bound on costs
 * the load thread, not the service (shown in a child process with a small heap, which today's code
 * dies in), and its refusals name the version, never a filesystem path (they reach /readyz and 409s).
 */
import { describe, expect, it } from 'vitest';
import { rejection } from '../helpers/refusals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MojoError } from '../../src/shared/errors';
import { ArtifactUnreadableError, loadVersion } from '../../src/serving/loaded-version';
import type { ModelVersionSummary } from '../../src/registry/types';
import { GOLDEN_MAX_BYTES } from '../../src/mojo/checked-load';
import { goldenPathOf } from '../../src/mojo/golden';
import { glmMojo, goldenBomb } from '../helpers/hand-mojos';

const dir = mkdtempSync(join(tmpdir(), 'loaded-version-'));
const limits = { maxHeapMb: 64, timeoutMs: 600_000 };

function version(file: string, bytes: Buffer, sha256?: string): ModelVersionSummary {
  const artifactPath = join(dir, file);
  writeFileSync(artifactPath, bytes);
  return {
    model: 'm',
    version: 3,
    artifactPath,
    artifactSha256: sha256 ?? createHash('sha256').update(bytes).digest('hex'),
    featureSet: null,
  } as ModelVersionSummary;
}

const refusal = (p: Promise<unknown>): Promise<MojoError> => rejection<MojoError>(p);

describe('loadVersion', () => {
  it('golden rows that would parse to more than the process has are refused unparsed, and the process (a 192 MiB heap) lives', async () => {
    const v = version('bomb.zip', glmMojo(2, 1));
    writeFileSync(goldenPathOf(v.artifactPath), goldenBomb());
    const script = `
      const { loadVersion } = require(${JSON.stringify(join(__dirname, '../../src/serving/loaded-version.ts'))});
      loadVersion(${JSON.stringify(v)}, ${JSON.stringify(limits)}).then(
        () => console.log(JSON.stringify({ loaded: true })),
        (err) => console.log(JSON.stringify({ name: err.name, setting: err.setting, message: err.message })),
      );`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--max-old-space-size=192', '--require', require.resolve('tsx/cjs'), '-e', script],
      { timeout: 120_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({
      name: 'MojoError',
      setting: 'golden rows',
      message: `MOJO m v3: golden rows: the file is ${goldenBomb().length} bytes, more than golden rows take (at most ${GOLDEN_MAX_BYTES})`,
    });
  });

  it('loads a good version, checked against its golden rows', async () => {
    const v = version('good.zip', glmMojo(2, 1));
    writeFileSync(
      `${v.artifactPath}.golden.json`,
      JSON.stringify({ h2oModelId: 'g', rows: [{ features: { x: 3 }, expected: [7] }] }),
    );
    const loaded = await loadVersion(v, limits);
    expect(loaded).toMatchObject({ model: 'm', version: 3, goldenRows: 1, sha256: v.artifactSha256 });
  });

  it('refusals name the version and the setting, never a path', async () => {
    const changed = await refusal(loadVersion(version('changed.zip', glmMojo(2, 1), 'f'.repeat(64)), limits));
    expect(changed).toBeInstanceOf(MojoError);
    expect(changed.message).toMatch(
      /^MOJO m v3: sha256: the MOJO file has sha256 [0-9a-f]{64}, the registry recorded f{64}$/,
    );
    const missing = { ...version('x.zip', glmMojo(2, 1)), artifactPath: join(dir, 'absent.zip') };
    const unreadable = await refusal(loadVersion(missing, limits));
    expect(unreadable).toBeInstanceOf(ArtifactUnreadableError);
    expect(unreadable.message).toBe('MOJO m v3: artifact: the MOJO file cannot be read (ENOENT)');
    for (const err of [changed, unreadable]) expect(err.message).not.toContain(dir);
  });
});
