/**
 * What the scorer refuses, with real MOJOs from the stack's H2O: another algorithm, another categorical
 * encoding, a newer mojo_version (a real MOJO with its model.ini rewritten), a truncated file, and
 * altered bytes anywhere in the file: each is refused with a MojoError naming what, or (bytes H2O's
 * readers never look at) scores exactly as the original. Never a different prediction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { MojoError } from '../../src/shared/errors';
import { sanitizeH2OId } from '../../src/h2o/ids';
import { cleanupTrainingRun } from '../../src/h2o/training';
import { loadMojo } from '../../src/mojo/load';
import { readZip } from '../../src/mojo/zip';
import { predsBuffer } from '../../src/mojo/predict';
import { rowEncoder } from '../../src/mojo/rows';
import type { MojoModel } from '../../src/mojo/types';
import { loadRefusal } from '../helpers/refusals';
import { uniqueName } from '../helpers/temporal';
import { dataset, FEATURES, prepareFixtures, trainFixture, type Fixtures } from '../helpers/mojo-fixtures';
import { writeZip } from '../helpers/zip-writer';

const prefix = sanitizeH2OId(uniqueName('mojo_refuse'));
const dir = join(loadConfig().stack.stateDir, 'test', prefix);
let f: Fixtures;
let gbm: Buffer;

beforeAll(async () => {
  f = await prepareFixtures(dir, prefix, { trainRows: 1500, scoreRows: 10 });
  gbm = readFileSync(
    (
      await trainFixture(f, {
        name: 'gbm',
        algorithm: 'gbm',
        response: 'y_multi',
        params: { ntrees: 10, max_depth: 4 },
      })
    ).mojo,
  );
}, 300_000);

afterAll(async () => {
  if (f) await cleanupTrainingRun(f.h2o, prefix);
});

function refusal(bytes: Buffer, name = 'm.zip'): MojoError {
  return loadRefusal(bytes, name);
}

function withModelIni(bytes: Buffer, edit: (ini: string) => string): Buffer {
  const zip = readZip(bytes, 'src');
  return writeZip(
    new Map(
      zip.names().map((n) => [n, n === 'model.ini' ? Buffer.from(edit(zip.read(n).toString('utf8'))) : zip.read(n)]),
    ),
  );
}

/** Scores 500 fixed rows; the reference every altered copy is held to. */
function scoreAll(model: MojoModel): number[][] {
  const d = dataset(500, 99, true);
  const enc = rowEncoder(model);
  const row = new Float64Array(model.features.length);
  const stats = { missing: 0, unseen: 0 };
  return d.rows.map((cells) => {
    enc.encode((feature) => cells[FEATURES.indexOf(feature as (typeof FEATURES)[number])] || null, row, stats);
    return Array.from(model.score0(row, predsBuffer(model)));
  });
}

describe('MOJOs the scorer refuses', () => {
  it('another algorithm: names the algo', async () => {
    const { mojo } = await trainFixture(f, {
      name: 'dl',
      algorithm: 'deeplearning',
      response: 'y_bin',
      params: { hidden: [4], epochs: 1, reproducible: true },
    });
    const err = refusal(readFileSync(mojo));
    expect(err.setting).toBe('algo');
    expect(err.message).toMatch(
      /algo: "deeplearning" \(Deep Learning\) is not supported: the scorer serves gbm, drf and glm/,
    );
  }, 120_000);

  it('a categorical encoding other than AUTO/Enum: names the setting and value', async () => {
    const { mojo } = await trainFixture(f, {
      name: 'onehot',
      algorithm: 'gbm',
      response: 'y_bin',
      params: { ntrees: 3, categorical_encoding: 'OneHotExplicit' },
    });
    const err = refusal(readFileSync(mojo));
    expect(err.setting).toBe('_genmodel_encoding');
    expect(err.message).toContain('"OneHotExplicit" (categorical_encoding) is not supported');
  }, 120_000);

  it('a newer mojo_version: names the version and the newest it reads', () => {
    expect(
      loadMojo(
        withModelIni(gbm, (s) => s),
        'same',
      ).algorithm,
    ).toBe('gbm');
    const err = refusal(withModelIni(gbm, (s) => s.replace(/mojo_version = 1\.40/, 'mojo_version = 1.50')));
    expect(err.setting).toBe('mojo_version');
    expect(err.message).toContain('1.50 of gbm is newer than the scorer reads (at most 1.40');
  });

  it('a truncated file is refused as truncated, at every length', () => {
    for (const keep of [0, 10, 100, Math.floor(gbm.length / 2), gbm.length - 1]) {
      const err = refusal(gbm.subarray(0, keep));
      expect(err.setting).toBe('zip');
      expect(err.message).toMatch(/truncated|not a zip/);
    }
  });

  it('altered bytes anywhere: refused, or (bytes no reader uses) exactly the original predictions', () => {
    const reference = scoreAll(loadMojo(gbm, 'original'));
    let refused = 0;
    let same = 0;
    const step = Math.max(1, Math.floor(gbm.length / 400));
    for (let at = 0; at < gbm.length; at += step) {
      const copy = Buffer.from(gbm);
      copy[at] = copy[at]! ^ 0x5a;
      let model: MojoModel;
      try {
        model = loadMojo(copy, `flip@${at}`);
      } catch (err) {
        expect(err, `byte ${at}`).toBeInstanceOf(MojoError);
        refused++;
        continue;
      }
      expect(scoreAll(model), `byte ${at} changed predictions`).toEqual(reference);
      same++;
    }
    console.log(`altered bytes: ${refused} refused, ${same} loaded with identical predictions`);
    expect(refused).toBeGreaterThan(same);
  });

  it('a damaged tree with a valid CRC (rewritten zip) is refused as damaged, not scored', () => {
    const zip = readZip(gbm, 'src');
    const tree = zip.names().find((n) => /^trees\/t00_000\.bin$/.test(n))!;
    const bytes = zip.read(tree);
    const rebuilt = (data: Buffer): Buffer =>
      writeZip(new Map(zip.names().map((n) => [n, n === tree ? data : zip.read(n)])));
    expect(refusal(rebuilt(bytes.subarray(0, bytes.length - 3))).message).toMatch(
      /: trees\/t00_000\.bin: .*the tree is damaged/,
    );
    const longer = Buffer.concat([bytes, Buffer.from([0, 0])]);
    expect(refusal(rebuilt(longer)).message).toContain('2 bytes after the tree');
  });
});
