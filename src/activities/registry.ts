/**
 * Registry activities: the model registry's SQL operations (src/registry), each in one transaction on
 * a client borrowed from the worker's pool, plus resolving a model's declared configuration.
 * Registry refusals (unknown version, a stage change not allowed) are RegistryErrors: non-retryable.
 */
import { getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { PoolClient } from 'pg';
import { withClient as withPoolClient } from '../postgres';
import { driftPolicyOf } from '../catalog/drift-policy';
import { findModelDeclaration } from '../catalog/models';
import {
  archiveVersion,
  getProductionVersion,
  promoteVersion,
  registerVersion,
  stagingVersions,
  type ArchiveVersionInput,
  type ProductionVersion,
  type PromoteVersionInput,
  type PromoteVersionOutput,
  type RegisterVersionInput,
  type RegisterVersionOutput,
} from '../registry';
import { checkPolicy, type DriftPolicy } from '../shared/drift';
import { parseDuration } from '../shared/duration';
import type { ModelDeclaration } from '../shared/model-declaration';
import type { ActivityDeps } from './deps';
import { emitAfterCommit } from './webhooks';

export interface ResolveModelConfigInput {
  model: string;
}

export interface ResolveModelConfigOutput {
  /** the model's entry in MODELS_CONFIG, or null when it is not declared */
  declared: ModelDeclaration | null;
  /** DRIFT_* defaults overridden by the declaration's drift section */
  driftPolicy: DriftPolicy;
  /** the sensor's current window length */
  driftWindowMs: number;
}

export interface ArchiveAbandonedVersionsInput {
  model: string;
  /** the retrain asking: its own staging version is never abandoned */
  workflowId: string;
  runId: string;
}

export interface AbandonedVersion {
  version: number;
  workflowId: string;
  /** the registering run's status (TERMINATED, TIMED_OUT, …) or NOT_FOUND once its history is gone */
  status: string;
}

export interface GetProductionVersionInput {
  model: string;
}

export function createRegistryActivities(deps: ActivityDeps) {
  const { config, pool } = deps;
  const withClient = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => withPoolClient(pool, work);

  return {
    /** The declared configuration of a model and its drift policy (read in the worker, not the workflow). */
    async resolveModelConfig(input: ResolveModelConfigInput): Promise<ResolveModelConfigOutput> {
      const declared = findModelDeclaration(config.models.configPath, input.model) ?? null;
      const d = declared?.drift;
      const driftPolicy: DriftPolicy = driftPolicyOf(declared, config.drift);
      // a declared threshold must fit the DRIFT_* partner it is combined with (MODELS_CONFIG names the field)
      checkPolicy(driftPolicy, `models.${input.model}.drift`);
      return { declared, driftPolicy, driftWindowMs: parseDuration('drift.window', d?.window ?? '1d') };
    },

    /** The production version with its reference, or null when the model has none. */
    async getProductionVersion(input: GetProductionVersionInput): Promise<ProductionVersion | null> {
      return withClient(async (client) => (await getProductionVersion(client, input.model)) ?? null);
    },

    /** Registers a champion as the next version, in staging (idempotent per workflow run). */
    async registerModelVersion(input: RegisterVersionInput): Promise<RegisterVersionOutput> {
      const registered = await withClient((client) => registerVersion(client, input));
      await emitAfterCommit(deps);
      return registered;
    },

    /** Staging → production, previous production → archived, in one transaction. */
    async promoteModelVersion(input: PromoteVersionInput): Promise<PromoteVersionOutput> {
      const promoted = await withClient((client) => promoteVersion(client, input));
      await emitAfterCommit(deps);
      return promoted;
    },

    /**
     * The reconciliation for what no workflow code can clean up: a retrain terminated (or timed out as
     * a whole) while its version waited in staging leaves it there. Each staging version of the model
     * whose registering run is no longer running is archived, with that run's status as the reason.
     */
    async archiveAbandonedVersions(input: ArchiveAbandonedVersionsInput): Promise<AbandonedVersion[]> {
      const client = getClient();
      const abandoned: AbandonedVersion[] = [];
      for (const v of await withClient((c) => stagingVersions(c, input.model))) {
        if (v.workflowId === input.workflowId && v.runId === input.runId) continue;
        let status: string;
        try {
          status = (await client.workflow.getHandle(v.workflowId, v.runId ?? undefined).describe()).status.name;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          status = 'NOT_FOUND';
        }
        if (status === 'RUNNING') continue;
        const reason = `abandoned: retrain ${v.workflowId} (run ${v.runId ?? 'unknown'}) ended ${status} before a decision; archived by ${input.workflowId}`;
        const { archived } = await withClient((c) =>
          archiveVersion(c, { model: input.model, version: v.version, reason, workflowId: input.workflowId }),
        );
        if (archived) abandoned.push({ version: v.version, workflowId: v.workflowId, status });
      }
      if (abandoned.length > 0) {
        log.warn('archived staging versions of ended retrains', { model: input.model, abandoned });
        await emitAfterCommit(deps);
      }
      return abandoned;
    },

    /** Archives a staging version that will not be promoted. */
    async archiveModelVersion(input: ArchiveVersionInput): Promise<{ archived: boolean }> {
      const archived = await withClient((client) => archiveVersion(client, input));
      await emitAfterCommit(deps);
      return archived;
    },
  };
}
