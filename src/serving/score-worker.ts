/**
 * A scoring thread of the pool (piscina): loads each MOJO once (checking its sha256 against what the
 * main thread verified), then encodes and scores whole batches, so a large request never blocks the
 * event loop. Validation problems come back as data, since errors lose their class across threads.
 * A version the store lets go (swapped out, evicted) is dropped here too (model-release.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import { ValidationError } from '../shared/errors';
import { loadMojo } from '../mojo/load';
import { predsBuffer } from '../mojo/predict';
import { rowEncoder, type NonFinite, type RowEncoder, type ScoringValue } from '../mojo/rows';
import type { MojoModel } from '../mojo/types';
import { artifactKey, RELEASE_CHANNEL } from './model-release';

export interface ScoreTask {
  artifactPath: string;
  sha256: string;
  rows: Record<string, ScoringValue>[];
  nonFinite: NonFinite;
}

export type ScoreResult =
  | { ok: true; preds: Float64Array; width: number; missing: number; unseen: number }
  | { ok: false; field: string; value: unknown; expected: string };

/** a backstop: the store releases what it drops, so this holds what the store holds */
const MAX_MODELS = 32;
/** in order of use, the least recently used first */
const models = new Map<string, { mojo: MojoModel; encoder: RowEncoder }>();

const releases = new BroadcastChannel(RELEASE_CHANNEL);
releases.unref();
releases.onmessage = (event) => models.delete(String((event as MessageEvent).data));

function modelFor(path: string, sha256: string): { mojo: MojoModel; encoder: RowEncoder } {
  const key = artifactKey(path, sha256);
  const hit = models.get(key);
  if (hit) {
    models.delete(key);
    models.set(key, hit);
    return hit;
  }
  const bytes = readFileSync(path);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new Error(`${path} changed on disk: sha256 ${actual}, expected ${sha256}`);
  const mojo = loadMojo(bytes, path);
  const entry = { mojo, encoder: rowEncoder(mojo) };
  if (models.size >= MAX_MODELS) models.delete(models.keys().next().value!);
  models.set(key, entry);
  return entry;
}

/** Per model, the row and score buffers scoreBatch reuses (it runs to the end synchronously, so never twice at once). */
const scratch = new WeakMap<MojoModel, { row: Float64Array; one: Float64Array }>();
function scratchOf(mojo: MojoModel): { row: Float64Array; one: Float64Array } {
  let s = scratch.get(mojo);
  if (!s) scratch.set(mojo, (s = { row: new Float64Array(mojo.features.length), one: predsBuffer(mojo) }));
  return s;
}

/** The row scoreBatch is encoding, read by ownValue: one function for every call, not a closure per request. */
let current: Record<string, ScoringValue> = {};
/** Own properties only: a missing feature named `constructor` is missing, not Object's constructor. */
const ownValue = (f: string): ScoringValue => (Object.hasOwn(current, f) ? current[f] : undefined);

/** Scores `rows`; predictions flat, `width` values per row (score0's layout). */
export function scoreBatch(
  mojo: MojoModel,
  encoder: RowEncoder,
  rows: Record<string, ScoringValue>[],
  nonFinite: NonFinite,
): ScoreResult {
  const { row, one } = scratchOf(mojo);
  const width = one.length;
  const out = new Float64Array(rows.length * width);
  const stats = { missing: 0, unseen: 0 };
  let i = 0;
  try {
    for (; i < rows.length; i++) {
      current = rows[i]!;
      encoder.encode(ownValue, row, stats, '', nonFinite);
      mojo.score0(row, one);
      out.set(one, i * width);
    }
  } catch (err) {
    // the encoder's and the scorer's refusals (a GLM that cannot impute) name the feature; this names the row
    if (err instanceof ValidationError)
      return { ok: false, field: `rows[${i}].${err.field}`, value: err.value, expected: err.expected };
    throw err;
  }
  return { ok: true, preds: out, width, ...stats };
}

export default function score(task: ScoreTask): ScoreResult {
  const { mojo, encoder } = modelFor(task.artifactPath, task.sha256);
  return scoreBatch(mojo, encoder, task.rows, task.nonFinite);
}
