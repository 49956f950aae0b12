/**
 * One model version made ready to serve: its artifact read, its sha256 compared with the registry's,
 * loaded by the platform's scorer and checked against its golden rows. Anything wrong is a MojoError
 * and the version is not served (the one before it keeps serving).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MojoError } from '../shared/errors';
import { checkGoldenRows, goldenPathOf, type GoldenFile } from '../mojo/golden';
import { loadMojo } from '../mojo/load';
import { rowEncoder, type RowEncoder } from '../mojo/rows';
import type { MojoModel } from '../mojo/types';
import type { ModelVersionSummary } from '../registry/types';

export interface LoadedVersion {
  model: string;
  version: number;
  artifactPath: string;
  sha256: string;
  featureSet: string | null;
  mojo: MojoModel;
  encoder: RowEncoder;
  /** how many golden rows it reproduced (0: the version has none, trained before they existed) */
  goldenRows: number;
  loadedAt: Date;
}

export async function loadVersion(v: ModelVersionSummary): Promise<LoadedVersion> {
  const name = `${v.model} v${v.version}`;
  const bytes = await readFile(v.artifactPath).catch((err: NodeJS.ErrnoException) => {
    throw new MojoError(name, 'artifact', `${v.artifactPath} cannot be read (${err.code ?? err.message})`);
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== v.artifactSha256)
    throw new MojoError(
      name,
      'sha256',
      `${v.artifactPath} has sha256 ${sha256}, the registry recorded ${v.artifactSha256}`,
    );
  const mojo = loadMojo(bytes, name);
  const golden = await readFile(goldenPathOf(v.artifactPath), 'utf8').then(
    (text) => JSON.parse(text) as GoldenFile,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new MojoError(
        name,
        'golden rows',
        `${goldenPathOf(v.artifactPath)} cannot be read (${err.code ?? err.message})`,
      );
    },
  );
  if (golden) checkGoldenRows(mojo, golden, name);
  return {
    model: v.model,
    version: v.version,
    artifactPath: v.artifactPath,
    sha256,
    featureSet: v.featureSet,
    mojo,
    encoder: rowEncoder(mojo),
    goldenRows: golden?.rows.length ?? 0,
    loadedAt: new Date(),
  };
}
