/**
 * The source catalog: definitions stored as `<name>.json` in INGEST_SOURCES_DIR, so operators can
 * start `ingestSource` with only a source name. Read by the worker (an activity), validated here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../shared/errors';
import { sourceName } from '../shared/names';
import { parse } from '../shared/validation';
import { validateSourceDefinition, type ResolvedSource } from '../shared/source-definition';

export async function loadSourceFile(sourcesDir: string, name: string): Promise<ResolvedSource> {
  parse(sourceName, name, 'source');
  const file = join(sourcesDir, `${name}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ValidationError(
      'source',
      name,
      `a source defined in ${file} (INGEST_SOURCES_DIR), or an inline definition`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(file, text.slice(0, 60), `valid JSON (${(err as Error).message})`);
  }
  const source = validateSourceDefinition(raw, `${name}.json`);
  if (source.name !== name)
    throw new ValidationError(`${name}.json.name`, source.name, `the file's own name "${name}"`);
  return source;
}
