/**
 * `score --mojo model.zip --input rows.csv --output predictions.csv`: batch predictions with the
 * pure-TypeScript scorer, with PredictCsv's columns, so its output can be diffed against h2o-genmodel's.
 * The output replaces its file only when every row is scored, and is never the input or the MOJO.
 * The MOJO is loaded in a thread of its own first (MOJO_LOAD_MAX_HEAP_MB, MOJO_LOAD_TIMEOUT_MS), so a
 * hostile file is refused with a MojoError instead of taking the command down.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { config } from '../config';
import { ValidationError } from '../shared/errors';
import { sameFile, scoreCsv } from '../mojo/batch';
import { loadMojoChecked } from '../mojo/checked-load';

const USAGE = 'score --mojo <model.zip> --input <rows.csv> --output <predictions.csv>';

export async function scoreCommand(args: string[]): Promise<number> {
  const opts: Record<string, string | undefined> = { '--mojo': undefined, '--input': undefined, '--output': undefined };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!(a in opts)) throw new ValidationError('score option', a, `one of ${Object.keys(opts).join(', ')}: ${USAGE}`);
    const v = args[++i];
    if (!v || v.startsWith('--')) throw new ValidationError(a, v ?? null, `a path: ${USAGE}`);
    opts[a] = v;
  }
  for (const [k, v] of Object.entries(opts)) if (!v) throw new ValidationError(k, v ?? null, `is required: ${USAGE}`);
  const input = opts['--input']!;
  if (!(await stat(input).catch(() => null))?.isFile())
    throw new ValidationError('--input', input, 'is not a readable file');
  const mojoPath = opts['--mojo']!;
  if (await sameFile(mojoPath, opts['--output']!))
    throw new ValidationError('--output', opts['--output'], 'is the MOJO file: writing it would destroy the model');
  const { model } = await loadMojoChecked(await readFile(mojoPath), basename(mojoPath), config().mojoLoad);
  const started = process.hrtime.bigint();
  const result = await scoreCsv(model, input, opts['--output']!);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.error(
    `scored ${result.rows} rows with ${model.algorithm} (${model.category}${model.family ? `, ${model.family}` : ''}, MOJO ${model.mojoVersion}) in ${seconds.toFixed(2)} s; missing values ${result.missing}, unseen levels ${result.unseen}`,
  );
  return 0;
}
