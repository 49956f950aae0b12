/**
 * The thread of checkMojoInThread (checked-load.ts): loads the MOJO and reproduces its golden rows,
 * then answers with data only (errors lose their class between threads). Whatever the scorer throws
 * on these bytes is the file's problem, so it comes back as a refusal; a thread that runs out of heap
 * or time never answers, and the caller says so.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MojoError, ValidationError } from '../shared/errors';
import { checkGoldenRows, type GoldenFile } from './golden';
import { loadMojo } from './load';
import type { CheckInput, CheckAnswer } from './checked-load';

function check({ bytes, name, goldenText }: CheckInput): CheckAnswer {
  const model = loadMojo(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  let goldenRows = 0;
  if (goldenText !== undefined) {
    let golden: GoldenFile;
    try {
      golden = JSON.parse(goldenText) as GoldenFile;
    } catch (err) {
      throw new MojoError(name, 'golden rows', `the file is not JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(golden?.rows)) throw new MojoError(name, 'golden rows', 'the file has no "rows" list');
    try {
      checkGoldenRows(model, golden, name);
    } catch (err) {
      // a golden row the encoder refuses is a damaged golden file, not a bad request
      if (err instanceof ValidationError) throw new MojoError(name, 'golden rows', err.message);
      throw err;
    }
    goldenRows = golden.rows.length;
  }
  return {
    ok: true,
    summary: {
      algorithm: model.algorithm,
      category: model.category,
      mojoVersion: model.mojoVersion,
      h2oVersion: model.h2oVersion,
      family: model.family ?? null,
      features: [...model.features],
      classes: model.classes ? [...model.classes] : null,
      goldenRows,
    },
  };
}

function answer(input: CheckInput): CheckAnswer {
  try {
    return check(input);
  } catch (err) {
    if (err instanceof MojoError) {
      const prefix = `MOJO ${err.mojo}: ${err.setting}: `;
      const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      return { ok: false, setting: err.setting, reason };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, setting: 'scorer', reason: `the scorer fails on the file (${e.name}: ${e.message})` };
  }
}

parentPort!.postMessage(answer(workerData as CheckInput));
