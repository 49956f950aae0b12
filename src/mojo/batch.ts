/**
 * Batch scoring of a CSV file, as h2o-genmodel's PredictCsv does it: a header row names the columns,
 * cells "", "NA", "N/A" and "-" are missing, unseen levels are missing, and the output has PredictCsv's
 * columns (`predict`, then one per class; `predict` alone for regression). Numbers are written in
 * JavaScript's shortest round-trip form, which reads back to the same double as PredictCsv's --decimal.
 * Streams both files, so its memory does not grow with the input. The output is written to a temporary
 * file beside it and renamed into place when every row is scored: a failed run leaves no partial file,
 * and an output that is the input (by any path: same device and inode) is refused before anything is
 * written. Text cells are neutralised against spreadsheet formulas (csvCell).
 */
import { parse } from 'csv-parse';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
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
  if (await sameFile(input, output))
    throw new ValidationError('--output', output, 'is the input file: writing it would destroy the rows being scored');
  const temp = join(dirname(output), `.${basename(output)}.${randomUUID()}.tmp`);
  const file = await open(temp, 'wx');
  const out = file.createWriteStream();
  const parser = parse({ relax_column_count: true, bom: true });
  const source = createReadStream(input);
  // a read or write error ends the loop below with that error, instead of an unhandled 'error' event
  source.on('error', (err) => parser.destroy(err));
  out.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
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
    out.end();
    await once(out, 'close');
    await rename(temp, output);
  } catch (err) {
    source.destroy();
    if (!out.closed) {
      out.destroy();
      await once(out, 'close').catch(() => undefined);
    }
    await rm(temp, { force: true });
    throw err;
  }
  return stats;
}

/** The same file by another path (a link, `./x`, a hard link): the same device and inode. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
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

/**
 * A text cell (a label, a column name), quoted as CSV needs and with a leading `'` when it starts as a
 * spreadsheet formula does (=, +, -, @, tab, carriage return: OWASP's CSV injection), unless the whole
 * cell is a plain number, which a spreadsheet reads as a number. Predicted numbers never come here.
 */
export function csvCell(text: string): string {
  const s = /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
