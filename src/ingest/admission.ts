/**
 * Which definitions a worker runs. A source's name is its identity: it names the watermark, the dead
 * letters and the rate limit, and its INGEST_SOURCES_DIR file (if any) binds its secrets. So:
 * - a definition named like a file of INGEST_SOURCES_DIR must be that file's (the same url, headers,
 *   query parameters, allowedOrigins, feature set and incremental settings): an inline definition
 *   cannot take an existing source's name;
 * - any other definition is inline, and runs only when the worker sets INGEST_ALLOW_INLINE_DEFINITIONS;
 * - an inline definition may not write into a feature set another source owns (one a file of
 *   INGEST_SOURCES_DIR maps to, or one whose rows another source wrote): `admitNewRun`.
 * Each refusal is a non-retryable ValidationError naming the field.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { loadSourceFile } from '../catalog/sources';
import { ValidationError } from '../shared/errors';
import type { ResolvedSource } from '../shared/source-definition';

export interface AdmissionSettings {
  sourcesDir: string;
  allowInlineDefinitions: boolean;
}

/** The parts of a definition that say where it reads, what it sends and where it writes. */
function identity(s: ResolvedSource): string {
  return JSON.stringify([
    s.url,
    s.headers,
    s.queryParams ?? {},
    s.allowedOrigins ?? [],
    s.mapping.featureSet,
    s.incremental ?? null,
  ]);
}

/** `<name>.json` of INGEST_SOURCES_DIR, or undefined when there is none. */
export async function sourceFileOf(sourcesDir: string, name: string): Promise<ResolvedSource | undefined> {
  if (!existsSync(join(sourcesDir, `${name}.json`))) return undefined;
  return loadSourceFile(sourcesDir, name);
}

/**
 * Checks `definition` may run here (every activity call: the activity is the last line before I/O)
 * and returns the source's INGEST_SOURCES_DIR file, if it has one.
 */
export async function admitDefinition(
  definition: ResolvedSource,
  settings: AdmissionSettings,
): Promise<ResolvedSource | undefined> {
  const onDisk = await sourceFileOf(settings.sourcesDir, definition.name);
  if (onDisk) {
    if (identity(onDisk) !== identity(definition))
      throw new ValidationError(
        'definition.name',
        definition.name,
        `a name that is not an existing source's: ${definition.name}.json of INGEST_SOURCES_DIR defines it, and an inline definition cannot take its name (start the run with the source name alone to run the file)`,
      );
    return onDisk;
  }
  if (!settings.allowInlineDefinitions)
    throw new ValidationError(
      'definition',
      definition.name,
      `a source of INGEST_SOURCES_DIR (${join(settings.sourcesDir, `${definition.name}.json`)}): this worker refuses inline definitions unless INGEST_ALLOW_INLINE_DEFINITIONS=true`,
    );
  return undefined;
}

/**
 * At the start of a run, besides admitDefinition: an inline definition's feature set must not be
 * another source's (mapped by a file of INGEST_SOURCES_DIR, or holding rows another source wrote).
 */
export async function admitNewRun(
  definition: ResolvedSource,
  settings: AdmissionSettings,
  pool: Pick<Pool, 'query'>,
): Promise<void> {
  const onDisk = await admitDefinition(definition, settings);
  if (onDisk) return;
  const featureSet = definition.mapping.featureSet;
  const owner = (await fileOwners(settings.sourcesDir)).get(featureSet);
  const { rows } = await pool.query<{ source: string }>(
    'SELECT source FROM features.feature_values WHERE feature_set = $1 AND source IS NOT NULL LIMIT 1',
    [featureSet],
  );
  const writer = owner ?? rows[0]?.source;
  if (writer !== undefined && writer !== definition.name)
    throw new ValidationError(
      'definition.mapping.featureSet',
      featureSet,
      `a feature set no other source owns (${writer} ${owner ? `maps to it in ${owner}.json of INGEST_SOURCES_DIR` : 'wrote its rows'})`,
    );
}

/** Feature set → the INGEST_SOURCES_DIR source that maps to it (files that do not validate are skipped). */
async function fileOwners(sourcesDir: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const files = await readdir(sourcesDir).catch(() => [] as string[]);
  for (const file of files.filter((f) => f.endsWith('.json'))) {
    const source = await loadSourceFile(sourcesDir, file.slice(0, -5)).catch(() => undefined);
    if (source && !owners.has(source.mapping.featureSet)) owners.set(source.mapping.featureSet, source.name);
  }
  return owners;
}
