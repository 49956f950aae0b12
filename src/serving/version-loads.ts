/**
 * Each version loaded at most once at a time (concurrent requests for it share the load), and each
 * refusal remembered, keyed by model, version and the registry's sha256: a refused version is
 * answered its refusal at once, without reading or loading its file again. A refusal lasts for the
 * process (a repaired file is served after a restart, or as a new version); only a file that could
 * not be read is tried again on the next request.
 */
import type { MojoLoadConfig } from '../config';
import { MojoError } from '../shared/errors';
import type { ModelVersionSummary } from '../registry/types';
import { ArtifactUnreadableError, loadVersion, type LoadedVersion } from './loaded-version';
import type { Metrics } from './metrics';

export interface LoadLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** A version the service will not serve, and why (a MojoError's message, naming the setting). */
export class VersionRefusedError extends Error {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly problem: string,
  ) {
    super(`model ${JSON.stringify(model)} version ${version} cannot be served: ${problem}`);
  }
}

function keyOf(v: ModelVersionSummary): string {
  return `${v.model}@${v.version}:${v.artifactSha256}`;
}

export class VersionLoads {
  private readonly inFlight = new Map<string, Promise<LoadedVersion>>();
  private readonly refusals = new Map<string, string>();
  /** the last problem logged per key, so a retried unreadable file is logged once, not per request */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly limits: MojoLoadConfig,
    private readonly metrics: Metrics,
    private readonly log: LoadLog,
  ) {}

  /** The version loaded (or the load in flight); rejects with VersionRefusedError when it is refused. */
  load(v: ModelVersionSummary): Promise<LoadedVersion> {
    const key = keyOf(v);
    const refused = this.refusals.get(key);
    if (refused !== undefined) return Promise.reject(new VersionRefusedError(v.model, v.version, refused));
    const running = this.inFlight.get(key);
    if (running) return running;
    this.metrics.loads.inc({ model: v.model });
    const load = loadVersion(v, this.limits)
      .catch((err: unknown) => {
        if (!(err instanceof MojoError)) throw err;
        if (!(err instanceof ArtifactUnreadableError)) this.refusals.set(key, err.message);
        if (this.reported.get(key) !== err.message) {
          this.reported.set(key, err.message);
          this.metrics.refused.inc({ model: v.model });
          this.log.warn('model version refused', {
            model: v.model,
            version: v.version,
            artifact: v.artifactPath,
            problem: err.message,
          });
        }
        throw new VersionRefusedError(v.model, v.version, err.message);
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, load);
    return load;
  }
}
