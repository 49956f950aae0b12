/**
 * The versions the service serves. Production versions are swapped in place: a request takes the
 * LoadedVersion object once and scores with it to the end, so a swap never changes a request midway
 * and no request waits for one. A new version is loaded and checked (sha256, scorer, golden rows)
 * before the swap; if it fails, the old one keeps serving and the refusal is reported.
 *
 * Told of changes by the registry's NOTIFY (registry-watch.ts) and by a periodic reconcile, so a
 * missed message cannot leave a model stale.
 */
import type { Pool } from 'pg';
import { MojoError } from '../shared/errors';
import { getVersion, productionVersions } from '../registry';
import { loadVersion, type LoadedVersion } from './loaded-version';
import type { Metrics } from './metrics';

export interface StoreLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface ModelState {
  version: number | null;
  /** why the registry's production version is not the one served, if it is not */
  problem?: string;
}

/** Pinned (non-production) versions kept loaded for /versions/{n}/predict. */
const MAX_PINNED = 16;

export class ModelStore {
  private readonly production = new Map<string, LoadedVersion>();
  private readonly pinned = new Map<string, LoadedVersion>();
  private readonly problems = new Map<string, string>();
  /** per-model chain so two refreshes of one model never load concurrently */
  private readonly refreshing = new Map<string, Promise<void>>();
  private registryAnswered = false;
  private registryError: string | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly declared: readonly string[],
    private readonly metrics: Metrics,
    private readonly log: StoreLog,
  ) {}

  /** The model's production version, loading it on first use (models not declared are served too). */
  async productionOf(model: string): Promise<LoadedVersion | undefined> {
    const loaded = this.production.get(model);
    if (loaded) return loaded;
    await this.refresh(model);
    return this.production.get(model);
  }

  /** A specific version: the production one if it is that, else loaded and kept (bounded). */
  async versionOf(model: string, version: number): Promise<LoadedVersion | undefined> {
    const prod = this.production.get(model);
    if (prod?.version === version) return prod;
    const key = `${model}@${version}`;
    const hit = this.pinned.get(key);
    if (hit) return hit;
    const summary = await getVersion(this.pool, model, version);
    if (!summary) return undefined;
    const loaded = await loadVersion(summary);
    if (this.pinned.size >= MAX_PINNED) this.pinned.delete(this.pinned.keys().next().value!);
    this.pinned.set(key, loaded);
    return loaded;
  }

  /** Re-reads the model's production version and swaps it in if it changed (serialised per model). */
  refresh(model: string): Promise<void> {
    const previous = this.refreshing.get(model) ?? Promise.resolve();
    const next = previous.then(() => this.refreshNow(model));
    const settled = next.catch(() => {});
    this.refreshing.set(model, settled);
    void settled.then(() => {
      if (this.refreshing.get(model) === settled) this.refreshing.delete(model);
    });
    return next;
  }

  private async refreshNow(model: string): Promise<void> {
    const summary = await getVersion(this.pool, model, 'production');
    this.registryAnswered = true;
    this.registryError = undefined;
    const current = this.production.get(model);
    if (!summary) return;
    if (current?.version === summary.version && current.sha256 === summary.artifactSha256) return;
    try {
      const loaded = await loadVersion(summary);
      this.production.set(model, loaded);
      this.problems.delete(model);
      this.metrics.loadedVersion.set({ model }, loaded.version);
      if (current) this.metrics.swaps.inc({ model });
      this.log.info(current ? 'model swapped' : 'model loaded', {
        model,
        version: loaded.version,
        from: current?.version ?? null,
        goldenRows: loaded.goldenRows,
      });
    } catch (err) {
      if (!(err instanceof MojoError)) throw err;
      // Refuse once per version, not once per reconcile tick.
      if (this.problems.get(model) !== err.message) {
        this.metrics.refused.inc({ model });
        this.log.warn('model version refused', {
          model,
          version: summary.version,
          serving: current?.version ?? null,
          problem: err.message,
        });
      }
      this.problems.set(model, err.message);
    }
  }

  /** The periodic check: every declared and every loaded model against the registry. */
  async reconcile(): Promise<void> {
    const models = [...new Set([...this.declared, ...this.production.keys()])];
    const versions = await productionVersions(this.pool, models);
    this.registryAnswered = true;
    this.registryError = undefined;
    await Promise.all(
      models.map(async (m) => {
        const want = versions.get(m);
        const have = this.production.get(m);
        if (want !== undefined && (have?.version !== want || this.problems.has(m)))
          await this.refresh(m).catch((err: unknown) =>
            this.log.warn('refresh failed', { model: m, error: (err as Error).message }),
          );
      }),
    );
  }

  /** Ready when the registry has answered and every declared model serves a production version. */
  readiness(): { ready: boolean; registry: string; models: Record<string, ModelState> } {
    const models: Record<string, ModelState> = {};
    let ready = this.registryAnswered;
    for (const m of this.declared) {
      const loaded = this.production.get(m);
      const problem = this.problems.get(m);
      models[m] = { version: loaded?.version ?? null, ...(problem ? { problem } : {}) };
      if (!loaded) ready = false;
    }
    const registry = this.registryError
      ? `unreachable: ${this.registryError}`
      : this.registryAnswered
        ? 'ok'
        : 'not read yet';
    return { ready, registry, models };
  }

  /** The reconcile loop's last failure to read the registry (cleared by the next read). */
  registryFailed(err: Error): void {
    this.registryError = err.message;
  }

  loaded(): LoadedVersion[] {
    return [...this.production.values()];
  }
}
