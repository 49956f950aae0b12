/**
 * H2O object ids (frames, models, grids). H2O-3 resolves ids inside URL paths, where text after a '.'
 * can be taken as a type suffix (".json", ".java", ...), and inside Rapids expressions; h2o-py accepts
 * only [A-Za-z0-9-._~] with no leading digit. We are stricter: no '.', so no suffix trap at all.
 * Pure: no I/O.
 */

/** Longest id we derive; longer names are cut and get a hash suffix so they stay unique. */
export const MAX_H2O_ID_LENGTH = 120;

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** True when `id` is already safe to use unchanged. */
export function isSafeH2OId(id: string): boolean {
  return id.length <= MAX_H2O_ID_LENGTH && ID_PATTERN.test(id);
}

/** 32-bit FNV-1a, hex: a short stable suffix for cut ids (not a security hash). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Maps any text to a safe H2O id, deterministically: characters outside [A-Za-z0-9_-] become '_',
 * a leading digit or '-' gets an 'h' prefix, and a long result is cut with a hash of the full text.
 * Two different inputs can only collide when they differ in replaced characters alone.
 */
export function sanitizeH2OId(text: string): string {
  let id = text.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z_]/.test(id)) id = `h${id}`;
  if (id.length > MAX_H2O_ID_LENGTH) id = `${id.slice(0, MAX_H2O_ID_LENGTH - 9)}_${fnv1a(text)}`;
  return id;
}

/** Ids of one training run, all under one prefix so cleanup can find what the run created. */
export interface TrainingRunIds {
  /** every id of the run starts with this */
  prefix: string;
  trainFrame: string;
  validationFrame: string;
  /** model id (or grid id, for a grid spec) of a spec */
  spec(specName: string): string;
}

/**
 * Derives the run's ids from the workflow id and run id: a retried activity (or a restarted worker)
 * computes the same ids again, while a later run reusing the workflow id (a closed id may start again)
 * gets its own, instead of mistaking the earlier run's jobs for its own.
 */
export function trainingRunIds(workflowId: string, runId?: string): TrainingRunIds {
  const prefix = runId ? `${sanitizeH2OId(workflowId)}_${fnv1a(runId)}` : sanitizeH2OId(workflowId);
  return {
    prefix,
    trainFrame: `${prefix}__train`,
    validationFrame: `${prefix}__valid`,
    spec: (specName) => `${prefix}__${sanitizeH2OId(specName)}`,
  };
}
