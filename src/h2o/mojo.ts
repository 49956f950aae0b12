/** Downloading a MOJO to disk with its sha256, computed while streaming (the zip never sits in memory). */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { H2OClient } from './client';

export interface MojoFile {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Writes the MOJO of `modelId` to `path` (through a temporary file and a rename, so a crash never
 * leaves a half-written zip under the final name). Throws H2OError; see isMojoGated for the 412 gate.
 */
export async function downloadMojoTo(client: H2OClient, modelId: string, path: string): Promise<MojoFile> {
  await mkdir(dirname(path), { recursive: true });
  const body = await client.downloadMojo(modelId);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const partial = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await pipeline(body, tap, createWriteStream(partial));
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { path, sha256: hash.digest('hex'), bytes };
}
