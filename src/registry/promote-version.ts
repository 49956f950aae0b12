/**
 * promoteVersion: a staging version becomes production and the previous production version is
 * archived, in one transaction under the model lock, each change recorded as a stage event.
 *
 * Idempotent: promoting the version already in production changes nothing. A staging version older
 * than the production one (two retrains raced and the newer one was promoted first) is archived as
 * superseded rather than replacing a newer model.
 */
import type { PoolClient } from 'pg';
import { RegistryError } from '../shared/errors';
import { archiveProduction, archiveStaging, insertStageEvent, lockModel } from './queries';
import { inTransaction } from '../postgres';
import type { PromoteVersionInput, PromoteVersionOutput, Stage } from './types';

export async function promoteVersion(client: PoolClient, input: PromoteVersionInput): Promise<PromoteVersionOutput> {
  return inTransaction(client, async () => {
    await lockModel(client, input.model);
    const { rows } = await client.query<{
      version: number;
      stage: Stage;
      servable: boolean | null;
      serving_problem: string | null;
    }>(
      `SELECT version, stage, servable, serving_problem FROM registry.model_versions WHERE model_name = $1 AND (version = $2 OR stage = 'production')`,
      [input.model, input.version],
    );
    const target = rows.find((r) => r.version === input.version);
    const production = rows.find((r) => r.stage === 'production');
    if (!target) throw new RegistryError(input.model, input.version, 'no such version');
    if (target.stage === 'production')
      return { production: target.version, archived: null, outcome: 'already-production' };
    if (target.stage !== 'staging')
      throw new RegistryError(
        input.model,
        input.version,
        `is ${target.stage}; only staging versions are promoted (roll back to re-deploy an archived one)`,
      );
    if (target.servable === false && !input.allowUnservable) {
      throw new RegistryError(
        input.model,
        input.version,
        `cannot be served by the platform's scorer (${target.serving_problem}); promote with allowUnservable to serve it some other way`,
      );
    }
    if (production && production.version > target.version) {
      await archiveStaging(
        client,
        input.model,
        target.version,
        `superseded by version ${production.version}, promoted first`,
        input.workflowId,
      );
      return { production: production.version, archived: target.version, outcome: 'superseded' };
    }
    // archive first: the unique partial index allows one production row at any moment
    const archived = await archiveProduction(
      client,
      input.model,
      `replaced by version ${target.version}: ${input.reason}`,
      input.workflowId,
    );
    await client.query(
      `UPDATE registry.model_versions SET stage = 'production', promoted_at = now() WHERE model_name = $1 AND version = $2`,
      [input.model, target.version],
    );
    await insertStageEvent(client, {
      model: input.model,
      version: target.version,
      from: 'staging',
      to: 'production',
      reason: input.reason,
      workflowId: input.workflowId,
    });
    return { production: target.version, archived, outcome: 'promoted' };
  });
}
