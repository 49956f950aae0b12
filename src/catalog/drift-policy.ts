/** A model's drift policy: its models.yaml `drift:` overrides over the DRIFT_* settings (one rule for the sensor and the model page). */
import type { DriftConfig } from '../config';
import type { DriftPolicy } from '../shared/drift';
import type { ModelDeclaration } from '../shared/model-declaration';

export function driftPolicyOf(declared: ModelDeclaration | null | undefined, drift: DriftConfig): DriftPolicy {
  const d = declared?.drift;
  const sampleSizeAlpha = d?.sampleSizeAlpha ?? drift.sampleSizeAlpha;
  return {
    warnThreshold: d?.warnThreshold ?? drift.warnThreshold,
    driftThreshold: d?.driftThreshold ?? drift.driftThreshold,
    minRows: d?.minRows ?? drift.minRows,
    ...(sampleSizeAlpha !== undefined ? { sampleSizeAlpha } : {}),
  };
}
