/**
 * The versions the service serves. Production versions are swapped in place: a request takes the
 * LoadedVersion object once and scores with it to the end, so a swap never changes a request midway
 * and no request waits for one. A new version is loaded and checked (sha256, scorer, golden rows, in a
 * thread of its own first) before the swap; if it fails, the old one keeps serving and the refusal is
 * reported, and remembered (version-loads.ts): it is not loaded again.
 *
 * Pinned versions (/versions/{n}/predict) are kept in a cache of MAX_PINNED, the least recently used
 * dropped first (mlops_serve_pinned_evictions_total). A version that leaves the store (swapped out,
 * evicted) is released in the scoring pool's threads too. Concurrent requests for a version not yet
 * loaded wait for one load.
 *
 * Told of changes by the registry's NOTIFY (registry-watch.ts) and by a periodic reconcile, so a
 * missed message cannot leave a model stale.
 */
import type { Pool } from 'pg';
import type { MojoLoadConfig } from '../config';
import { getVersion, productionVersions } from '../registry';
import type { LoadedVersion } from './loaded-version';
import type { Metrics } from './metrics';
import { artifactKey, releaseInThreads } from './model-release';
import { VersionLoads, VersionRefusedError } from './version-loads';

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
export const MAX_PINNED = 16;

export class ModelStore {
  private readonly production = new Map<string, LoadedVersion>();
  /** in order of use, the least recently used first */
  private readonly pinned = new Map<string, LoadedVersion>();
  private readonly pinnedLoads = new Map<string, Promise<LoadedVersion | undefined>>();
  /** per model: its production version that was refused, and why */
  private readonly problems = new Map<string, { version: number; problem: string }>();
  private readonly loads: VersionLoads;
  /** per-model chain so two refreshes of one model never load concurrently */
  private readonly refreshing = new Map<string, Promise<void>>();
  private registryAnswered = false;
  private registryError: string | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly declared: readonly string[],
    private readonly metrics: Metrics,
    private readonly log: StoreLog,
    mojoLoad: MojoLoadConfig,
  ) {
    this.loads = new VersionLoads(mojoLoad, metrics, log);
  }

  /**
   * The model's production version, loading it on first use (models not declared are served too);
   * a refresh already under way is waited for, not repeated. Throws VersionRefusedError when the
   * production version is refused and no earlier one serves.
   */
  async productionOf(model: string): Promise<LoadedVersion | undefined> {
    const loaded = this.production.get(model);
    if (loaded) return loaded;
    const running = this.refreshing.get(model);
    if (running) await running;
    // none under way, or it found nothing: read the registry (its failure is this request's)
    if (!running || (!this.production.has(model) && !this.problems.has(model))) await this.refresh(model);
    const now = this.production.get(model);
    if (now) return now;
    const refused = this.problems.get(model);
    if (refused) throw new VersionRefusedError(model, refused.version, refused.problem);
    return undefined;
  }

  /**
   * A specific version: the production one if it is that, else loaded once and kept (the least
   * recently used of MAX_PINNED dropped). Throws VersionRefusedError for a refused version.
   */
  async versionOf(model: string, version: number): Promise<LoadedVersion | undefined> {
    const prod = this.production.get(model);
    if (prod?.version === version) return prod;
    const key = `${model}@${version}`;
    const hit = this.pinned.get(key);
    if (hit) {
      this.pinned.delete(key);
      this.pinned.set(key, hit);
      return hit;
    }
    const running = this.pinnedLoads.get(key);
    if (running) return running;
    const load = this.loadPinned(model, version, key).finally(() => this.pinnedLoads.delete(key));
    this.pinnedLoads.set(key, load);
    return load;
  }

  private async loadPinned(model: string, version: number, key: string): Promise<LoadedVersion | undefined> {
    const summary = await getVersion(this.pool, model, version);
    if (!summary) return undefined;
    const loaded = await this.loads.load(summary);
    this.pinned.set(key, loaded);
    for (const [oldest, old] of this.pinned) {
      if (this.pinned.size <= MAX_PINNED) break;
      this.pinned.delete(oldest);
      this.metrics.evictions.inc({ model: old.model });
      this.release(old);
    }
    return loaded;
  }

  /** Drops `v` from the scoring threads' caches, unless the store still serves the same artifact. */
  private release(v: LoadedVersion): void {
    const key = artifactKey(v.artifactPath, v.sha256);
    const held = [...this.production.values(), ...this.pinned.values()].some(
      (o) => artifactKey(o.artifactPath, o.sha256) === key,
    );
    if (!held) releaseInThreads(v.artifactPath, v.sha256);
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
    if (current?.version === summary.version && current.sha256 === summary.artifactSha256) {
      this.problems.delete(model); // back to the version it serves (a rollback past a refused one)
      return;
    }
    try {
      const loaded = await this.loads.load(summary);
      this.production.set(model, loaded);
      this.problems.delete(model);
      this.metrics.loadedVersion.set({ model }, loaded.version);
      if (current) {
        this.metrics.swaps.inc({ model });
        this.release(current);
      }
      this.log.info(current ? 'model swapped' : 'model loaded', {
        model,
        version: loaded.version,
        from: current?.version ?? null,
        goldenRows: loaded.goldenRows,
      });
    } catch (err) {
      if (!(err instanceof VersionRefusedError)) throw err;
      // logged once by VersionLoads; kept for /readyz and for requests when nothing else serves
      this.problems.set(model, { version: err.version, problem: err.problem });
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
      const refused = this.problems.get(m);
      models[m] = { version: loaded?.version ?? null, ...(refused ? { problem: refused.problem } : {}) };
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
