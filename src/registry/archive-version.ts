/**
 * archiveVersion: a staging version that will not be promoted (rejected, approval timed out) is
 * archived with the reason. Production is never touched; archiving it is a rollback's or a
 * promotion's job. Idempotent.
 */
import type { PoolClient } from 'pg';
import { RegistryError } from '../shared/errors';
import { archiveStaging, lockModel } from './queries';
import { inTransaction } from '../postgres';
import type { Stage } from './types';

export interface ArchiveVersionInput {
  model: string;
  version: number;
  reason: string;
  workflowId?: string;
}

export async function archiveVersion(client: PoolClient, input: ArchiveVersionInput): Promise<{ archived: boolean }> {
  return inTransaction(client, async () => {
    await lockModel(client, input.model);
    const { rows } = await client.query<{ stage: Stage }>(
      'SELECT stage FROM registry.model_versions WHERE model_name = $1 AND version = $2',
      [input.model, input.version],
    );
    const stage = rows[0]?.stage;
    if (!stage) throw new RegistryError(input.model, input.version, 'no such version');
    if (stage === 'archived') return { archived: false };
    if (stage === 'production')
      throw new RegistryError(
        input.model,
        input.version,
        'is in production; promote or roll back another version instead',
      );
    await archiveStaging(client, input.model, input.version, input.reason, input.workflowId);
    return { archived: true };
  });
}
