/**
 * Golden rows for a version (src/mojo/golden.ts): the first rows of a frame the cluster holds (the
 * validation frame of the training run), as H2O parsed them, with the cluster's own predictions for
 * them, written beside the MOJO. Taken from H2O rather than from the feature store so the features
 * are exactly what the model saw, level names and missing values included.
 */
import { writeFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { goldenPathOf, type GoldenFile } from '../mojo/golden';
import type { ScoringValue } from '../mojo/rows';
import type { H2OClient } from './client';

export interface GoldenRowsInput {
  h2oModelId: string;
  frameId: string;
  /** the MOJO the rows are written beside */
  mojoPath: string;
  /** the model's classes (response levels), or null for regression */
  classes: readonly string[] | null;
  features: readonly string[];
  rows?: number;
}

export async function writeGoldenRows(h2o: H2OClient, input: GoldenRowsInput): Promise<GoldenFile> {
  const n = input.rows ?? 8;
  const slice = `${input.h2oModelId}__golden`;
  const preds = `${slice}_preds`;
  try {
    // The first n rows as a frame of their own, so only they are scored and downloaded. On a
    // multi-node cloud H2O 3.46's end-of-session reference check refuses that slice ("REFCNTs contains
    // an extra vec"); then the whole frame is scored and the first n rows of both are read.
    const sliced = await h2o.rapids(`(assign ${slice} (rows ${input.frameId} [0:${n}]))`).then(
      () => true,
      (err: unknown) => {
        if (err instanceof Error && err.message.includes('REFCNTs')) return false;
        throw err;
      },
    );
    const scored = sliced ? slice : input.frameId;
    await h2o.predict(input.h2oModelId, scored, preds);
    const rows = (
      parse(await text(await h2o.downloadFrame(scored)), { columns: true }) as Record<string, string>[]
    ).slice(0, n);
    // By position: H2O names probability columns after the levels, but prefixes numeric ones ("p0", "p1").
    const predicted = (parse(await text(await h2o.downloadFrame(preds))) as string[][]).slice(1, n + 1);
    const golden: GoldenFile = {
      h2oModelId: input.h2oModelId,
      rows: rows.map((row, i) => {
        const features: Record<string, ScoringValue> = {};
        for (const f of input.features) features[f] = row[f] === undefined || row[f] === '' ? null : row[f]!;
        const p = predicted[i]!;
        const expected = input.classes
          ? [input.classes.indexOf(p[0]!), ...input.classes.map((_c, k) => Number(p[k + 1]))]
          : [Number(p[0])];
        // a class index below 0 is a label outside the classes; a regression value may be any number
        if (expected.some((x) => Number.isNaN(x)) || (input.classes && expected[0]! < 0))
          throw new Error(
            `golden row ${i}: H2O's predictions ${JSON.stringify(p)} do not match the classes ${JSON.stringify(input.classes)}`,
          );
        return { features, expected };
      }),
    };
    await writeFile(goldenPathOf(input.mojoPath), `${JSON.stringify(golden, null, 1)}\n`);
    return golden;
  } finally {
    await h2o.deleteFrame(slice).catch(() => false);
    await h2o.deleteFrame(preds).catch(() => false);
  }
}
