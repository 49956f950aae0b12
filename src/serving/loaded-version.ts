/**
 * One model version made ready to serve: its artifact read, its sha256 compared with the registry's,
 * then loaded and checked against its golden rows in a thread of its own first (checkMojoInThread:
 * bounded heap and time, so a hostile file costs that thread), and only then loaded here. Anything
 * wrong is a MojoError and the version is not served (the one before it keeps serving).
 *
 * Refusals name the version, never a filesystem path: they are answered to clients (/readyz, 409s);
 * the path goes to the log (model-store.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { MojoLoadConfig } from '../config';
import { MojoError } from '../shared/errors';
import { loadMojoChecked, readGoldenText } from '../mojo/checked-load';
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

/** A version whose files could not be read: says nothing lasting about it, so it is not remembered. */
export class ArtifactUnreadableError extends MojoError {}

export async function loadVersion(v: ModelVersionSummary, limits: MojoLoadConfig): Promise<LoadedVersion> {
  const name = `${v.model} v${v.version}`;
  const bytes = await readFile(v.artifactPath).catch((err: NodeJS.ErrnoException) => {
    throw new ArtifactUnreadableError(name, 'artifact', `the MOJO file cannot be read (${err.code ?? err.message})`);
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== v.artifactSha256)
    throw new MojoError(
      name,
      'sha256',
      `the MOJO file has sha256 ${sha256}, the registry recorded ${v.artifactSha256}`,
    );
  const goldenText = await readGoldenText(v.artifactPath, name).catch((err: NodeJS.ErrnoException) => {
    if (err instanceof MojoError) throw err;
    throw new ArtifactUnreadableError(
      name,
      'golden rows',
      `the golden rows file cannot be read (${err.code ?? err.message})`,
    );
  });
  const { model: mojo, summary } = await loadMojoChecked(bytes, name, limits, goldenText);
  return {
    model: v.model,
    version: v.version,
    artifactPath: v.artifactPath,
    sha256,
    featureSet: v.featureSet,
    mojo,
    encoder: rowEncoder(mojo),
    goldenRows: summary.goldenRows,
    loadedAt: new Date(),
  };
}
