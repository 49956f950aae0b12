/**
 * Batch scoring of a CSV file, as h2o-genmodel's PredictCsv does it: a header row names the columns,
 * cells "", "NA", "N/A" and "-" are missing, unseen levels are missing, and the output has PredictCsv's
 * columns (`predict`, then one per class; `predict` alone for regression). Numbers are written in
 * JavaScript's shortest round-trip form, which reads back to the same double as PredictCsv's --decimal.
 * Streams both files, so its memory does not grow with the input.
 */
import { parse } from 'csv-parse';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { ValidationError } from '../shared/errors';
import { predsBuffer } from './predict';
import { rowEncoder, type RowStats } from './rows';
import type { MojoModel } from './types';

const MISSING = new Set(['', 'NA', 'N/A', '-']);

export interface BatchResult extends RowStats {
  rows: number;
}

export async function scoreCsv(model: MojoModel, input: string, output: string): Promise<BatchResult> {
  const encoder = rowEncoder(model);
  const row = new Float64Array(model.features.length);
  const preds = predsBuffer(model);
  const stats: BatchResult = { rows: 0, missing: 0, unseen: 0 };
  const out = createWriteStream(output);
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
  const parser = createReadStream(input).pipe(parse({ relax_column_count: true, bom: true }));
  let header: string[] | undefined;
  let index: Map<string, number> = new Map();
  try {
    await write(`${model.outputNames.map(csvCell).join(',')}\n`);
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = cells;
        index = new Map(header.map((name, i) => [name, i]));
        continue;
      }
      stats.rows++;
      const line = stats.rows + 1;
      encoder.encode(
        (feature) => {
          const at = index.get(feature);
          const cell = at === undefined ? undefined : cells[at];
          return cell === undefined || MISSING.has(cell) ? null : cell;
        },
        row,
        stats,
        `line ${line}: `,
      );
      model.score0(row, preds);
      await write(`${formatPreds(model, preds)}\n`);
    }
    if (!header) throw new ValidationError('--input', input, 'is empty: expected a header row naming the features');
  } finally {
    out.end();
    await once(out, 'close');
  }
  return stats;
}

export function formatPreds(model: MojoModel, preds: Float64Array): string {
  if (!model.classes) return formatNumber(preds[0]!);
  const cells = [csvCell(model.classes[preds[0]!]!)];
  for (let i = 1; i <= model.classes.length; i++) cells.push(formatNumber(preds[i]!));
  return cells.join(',');
}

function formatNumber(d: number): string {
  return Number.isNaN(d) ? 'NA' : String(d);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
