/** Registers a MOJO on disk as a model's next version (staging), as a retrain would, for the service's tests. */
import type { Pool } from 'pg';
import { registerVersion } from '../../src/registry';
import { fakeCandidate } from '../stack/drift.dataset';
import { uniqueName } from './temporal';

export async function registerArtifact(
  pool: Pool,
  v: { model: string; featureSet: string; artifactPath: string; sha256: string },
): Promise<number> {
  const c = await pool.connect();
  try {
    const run = uniqueName('run');
    const { version } = await registerVersion(c, {
      candidate: {
        ...fakeCandidate(v.model),
        featureSet: v.featureSet,
        artifactPath: v.artifactPath,
        artifactSha256: v.sha256,
      },
      workflowId: run,
      runId: run,
      serving: { servable: true, problem: null },
    });
    return version;
  } finally {
    c.release();
  }
}
