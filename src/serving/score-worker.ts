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
import { rowEncoder, type RowEncoder, type ScoringValue } from '../mojo/rows';
import type { MojoModel } from '../mojo/types';
import { artifactKey, RELEASE_CHANNEL } from './model-release';

export interface ScoreTask {
  artifactPath: string;
  sha256: string;
  rows: Record<string, ScoringValue>[];
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

/** Scores `rows`; predictions flat, `width` values per row (score0's layout). */
export function scoreBatch(mojo: MojoModel, encoder: RowEncoder, rows: Record<string, ScoringValue>[]): ScoreResult {
  const row = new Float64Array(mojo.features.length);
  const one = predsBuffer(mojo);
  const width = one.length;
  const out = new Float64Array(rows.length * width);
  const stats = { missing: 0, unseen: 0 };
  try {
    rows.forEach((r, i) => {
      encoder.encode((f) => r[f], row, stats, `rows[${i}].`);
      mojo.score0(row, one);
      out.set(one, i * width);
    });
  } catch (err) {
    if (err instanceof ValidationError)
      return { ok: false, field: err.field, value: err.value, expected: err.expected };
    throw err;
  }
  return { ok: true, preds: out, width, ...stats };
}

export default function score(task: ScoreTask): ScoreResult {
  const { mojo, encoder } = modelFor(task.artifactPath, task.sha256);
  return scoreBatch(mojo, encoder, task.rows);
}
